"""SFT only, then what the SFT model can do: greedy evaluation on the test set and teacher-forced decision
accuracy (sokrates/decisions.py). For comparing recipes before paying for DPO; prints one JSON object.

    python benchmarks/sft_probe.py --workspace WS --run-id NAME [--set sft.epochs=12 ...] [--json OUT]
        [--curve-every STEPS] [--max-train-s SECONDS]

--curve-every records a learning curve: decision accuracy on held-out problems every N training steps, so a
skill that forms late (a phase change) shows where the step budget must be. --max-train-s ends training after
that many seconds (the model is saved and evaluated as usual), so a batch of runs fits a fixed time slot.
"""
import argparse
import json
import time
from pathlib import Path

import yaml

from transformers import TrainerCallback

from sokrates.decisions import decision_accuracy, decisions_of
from sokrates.loop import LoopConfig, Run
from sokrates.model import model_template
from sokrates.problems import read_problems


class Curve(TrainerCallback):
    """Decision accuracy every `every` steps (at step 1 too), and a wall-clock stop after `max_s` seconds."""

    def __init__(self, problems, template, style, every, max_s):
        self.problems, self.template, self.style, self.every, self.max_s = problems, template, style, every, max_s
        self.points, self.started = [], time.time()

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.time()  # the time limit counts training only, not data preparation

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        elapsed = time.time() - self.started
        if self.every and (state.global_step % self.every == 0 or state.global_step == 1):
            d = decisions_of(model, processing_class, self.problems, self.template, self.style)
            loss = next((h["loss"] for h in reversed(state.log_history) if "loss" in h), None)
            self.points.append({"step": state.global_step, "s": round(elapsed), "loss": loss,
                                **{k: round(v["value"], 3) for k, v in d.items()}})
            print(json.dumps({"curve": self.points[-1]}), flush=True)
        if self.max_s and elapsed > self.max_s:
            control.should_training_stop = True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="workspace-probe")
    ap.add_argument("--run-id", default="probe")
    ap.add_argument("--json", default=None)
    ap.add_argument("--decision-problems", type=int, default=200)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--curve-every", type=int, default=0)
    ap.add_argument("--curve-problems", type=int, default=100)
    ap.add_argument("--max-train-s", type=float, default=0)
    args = ap.parse_args()
    run = Run(args.workspace, LoopConfig(run_id=args.run_id), log=lambda m: None)
    run.save_config()
    run.update({key: yaml.safe_load(value) for key, _, value in (item.partition("=") for item in args.set)})
    times = {}

    def timed(name, step):
        started = time.time()
        result = step()
        times[name] = round(time.time() - started, 1)
        return result
    timed("init", run.base_model)
    timed("data", run.data)
    test = read_problems(run.test_file)
    held_out = test[-args.curve_problems:]  # not the problems decision accuracy reads below
    curve = Curve(held_out, model_template(run.base_model_dir), run.cfg.sft.trace_style, args.curve_every,
                  args.max_train_s)
    timed("sft", lambda: run.sft((curve,)))
    result = timed("eval", lambda: run.evaluate(0))
    sft = json.loads((run.stage_dir("sft") / "summary.json").read_text())
    decisions = timed("decisions", lambda: decision_accuracy(run.model_of(0), test[: args.decision_problems]))
    out = {"set": args.set, "steps": sft["steps"], "final_loss": sft["final_loss"], "times_s": times, "curve": curve.points,
           **{m: result[m] for m in ("accuracy", "step_validity", "trace_validity")},
           "by_hops_step_validity": {h: v["step_validity"]["value"] for h, v in result["by_hops"].items()},
           "decisions": {k: v["value"] for k, v in decisions.items()}}
    print(json.dumps(out))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
