"""One SOKRATES iteration on the 0.6B-shaped model (issue 17): sample 2,000 problems x 4, check, pairs, DPO, evaluate
1,000 greedily, through the pipeline's own functions, with the wall time of each stage, for the DPO settings given
(`--dpo`, a gpu_bench spec). A random-weight model samples no valid trace, so every trace runs to the token cap and
the pairs take the gold proof as chosen (`gold_chosen_fallback`, a change to the method, off by default): the figures
are the stages' costs, not a training result.

    python benchmarks/iteration_gpu.py --label before --out benchmarks/results/iteration_<device>.json
    python benchmarks/iteration_gpu.py --label after --dpo batch_size=32,torch_compile=true,gradient_checkpointing=false \
        --out benchmarks/results/iteration_<device>.json   # appends to the same file
"""
import argparse
import json
import time
from pathlib import Path

import torch
import transformers
from gpu_bench import DEVICE, make_model, parse_spec

from sokrates.metrics import summarize
from sokrates.model import model_template
from sokrates.pairs import build_pairs
from sokrates.problems import GeneratorConfig, generate
from sokrates.sample_check import check_samples
from sokrates.sampling import HFSampler, SampleSettings, sample_records
from sokrates.training import DPOSettings, run_dpo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="0.6b", choices=("0.6b", "tiny"))
    ap.add_argument("--problems", type=int, default=2000)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--new-tokens", type=int, default=128, help="the token cap every random trace runs to")
    ap.add_argument("--dpo", default="", help="DPOSettings fields over the defaults, e.g. batch_size=32,torch_compile=true")
    ap.add_argument("--label", default="before")
    ap.add_argument("--sample-only", action="store_true", help="stop after the sampling stage")
    ap.add_argument("--sample-batch", type=int, default=None, help="rows per generate call (default: sized to memory)")
    ap.add_argument("--work", default="/tmp/sokrates-iteration")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    work = Path(args.work)
    model = make_model(work / "model", args.size)
    template = model_template(model)
    train = generate(GeneratorConfig(n=args.problems, seed=5))
    test = generate(GeneratorConfig(n=args.test, seed=6))
    stages, started = {}, time.perf_counter()
    row = {"label": args.label, "device": torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu",
           "transformers": transformers.__version__, "size": args.size, "problems": args.problems, "samples_per_problem": args.samples, "test": args.test,
           "new_tokens": args.new_tokens, "dpo": args.dpo or "defaults", "stages_s": stages}

    def lap(name: str, **figures) -> None:
        """Time the stage just finished and save the row so far (a time limit keeps the stages done)."""
        nonlocal started
        if DEVICE == "cuda":
            torch.cuda.synchronize()
        stages[name] = round(time.perf_counter() - started, 1)
        row.update(figures, total_s=round(sum(stages.values()), 1), complete=name == "evaluate")
        out = Path(args.out)
        rows = json.loads(out.read_text()) if out.is_file() else []
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps([r for r in rows if r["label"] != args.label] + [row], indent=2) + "\n")
        print(f"{args.label}: {name} {stages[name]} s", flush=True)
        started = time.perf_counter()

    settings = SampleSettings(samples_per_problem=args.samples, temperature=0.7, max_new_tokens=args.new_tokens,
                              batch_size=args.sample_batch)
    sampler = HFSampler(model)
    longest = max(len(sampler.tokenizer(p.prompt(template))["input_ids"]) for p in train)
    rows = sampler._batch_rows(settings, longest)
    records = sample_records(train, sampler, settings, template, progress=False)
    lap("sample", sampled_traces=len(records), sample_batch_rows=rows, longest_prompt_tokens=longest)
    if args.sample_only:
        return
    check = check_samples(records, settings.temperature, settings.samples_per_problem,
                          {p.id: len(p.premises) for p in train})
    lap("check", format_validity=check.get("format_validity"))
    pairs, report = build_pairs(records, {p.id: p.prompt(template) for p in train},
                                gold={p.id: p.target() for p in train})
    lap("pairs", pairs=report["pairs"])
    dpo = DPOSettings(**parse_spec(args.dpo, {"epochs": 1}))
    trained = run_dpo(model, pairs, work / f"dpo_{args.label}", dpo)
    lap("dpo", dpo_steps=trained["steps"])
    evaluation = summarize(sample_records(test, HFSampler(trained["model"]), SampleSettings(
        samples_per_problem=1, temperature=0.0, max_new_tokens=args.new_tokens), template, progress=False))
    lap("evaluate", eval_problems=evaluation["accuracy"]["n"])
    print(json.dumps(row), flush=True)

if __name__ == "__main__":
    main()
