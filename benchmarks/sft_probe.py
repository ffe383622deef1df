"""SFT only, then what the SFT model can do: greedy evaluation on the test set and teacher-forced decision
accuracy (sokrates/decisions.py). For comparing recipes before paying for DPO; prints one JSON object.

    python benchmarks/sft_probe.py --workspace WS --run-id NAME [--set sft.epochs=12 ...] [--json OUT]
"""
import argparse
import json
import time
from pathlib import Path

import yaml

from sokrates.decisions import decision_accuracy
from sokrates.loop import LoopConfig, Run
from sokrates.problems import read_problems


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="workspace-probe")
    ap.add_argument("--run-id", default="probe")
    ap.add_argument("--json", default=None)
    ap.add_argument("--decision-problems", type=int, default=200)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    run = Run(args.workspace, LoopConfig(run_id=args.run_id), log=lambda m: None)
    run.save_config()
    run.update({key: yaml.safe_load(value) for key, _, value in (item.partition("=") for item in args.set)})
    times = {}
    for name, step in (("init", run.base_model), ("data", run.data), ("sft", run.sft), ("eval", lambda: run.evaluate(0))):
        started = time.time()
        result = step()
        times[name] = round(time.time() - started, 1)
    sft = json.loads((run.stage_dir("sft") / "summary.json").read_text())
    problems = read_problems(run.test_file)[: args.decision_problems]
    started = time.time()
    decisions = decision_accuracy(run.model_of(0), problems)
    times["decisions"] = round(time.time() - started, 1)
    out = {"set": args.set, "steps": sft["steps"], "final_loss": sft["final_loss"], "times_s": times,
           **{m: result[m] for m in ("accuracy", "step_validity", "trace_validity")},
           "by_hops_step_validity": {h: v["step_validity"]["value"] for h, v in result["by_hops"].items()},
           "decisions": {k: v["value"] for k, v in decisions.items()}}
    print(json.dumps(out))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
