"""Sampling backends side by side on a trained model, where traces end at different lengths: batched `generate`
(`hf`) against transformers' continuous batching (`hf_continuous`), the loop's own sample_records on the same problems
and settings. Prints and writes problems/s for each, the speed-up, the share of valid samples, and whether greedy
outputs are identical on the first --greedy problems.

    python benchmarks/sampler_speed.py [--model checkpoints/tiny-sft] [--problems 2000] [--out FILE.json]
"""
import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from sokrates.model import model_template
from sokrates.loop import LoopConfig
from sokrates.problems import generate
from sokrates.sampling import ContinuousSampler, HFSampler, SampleSettings, sample_records

BACKENDS = {"hf": HFSampler, "hf_continuous": ContinuousSampler}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="checkpoints/tiny-sft")
    ap.add_argument("--problems", type=int, default=2000)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--greedy", type=int, default=200, help="problems whose greedy outputs are compared")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    problems = generate(replace(LoopConfig().data.generator(train=False), n=args.problems))  # the demo's test set
    template = model_template(args.model)
    settings = SampleSettings(samples_per_problem=args.samples, temperature=args.temperature, seed=0)
    greedy = SampleSettings(samples_per_problem=1, temperature=0.0)
    result = {"model": args.model, "problems": args.problems, "samples_per_problem": args.samples,
              "temperature": args.temperature, "backends": {}}
    texts = {}  # each backend's greedy traces on the first --greedy problems
    for name, cls in BACKENDS.items():
        sampler = cls(args.model)
        sample_records(problems[:16], sampler, settings, template, progress=False)  # warm-up
        started = time.perf_counter()
        records = sample_records(problems, sampler, settings, template, progress=False)
        seconds = time.perf_counter() - started
        result["backends"][name] = {"seconds": round(seconds, 2), "problems_per_s": round(args.problems / seconds, 2),
                                    "valid_share": round(sum(r["valid"] for r in records) / len(records), 4)}
        texts[name] = [r["text"] for r in
                       sample_records(problems[:args.greedy], sampler, greedy, template, progress=False)]
        print(name, json.dumps(result["backends"][name]), flush=True)
    result["greedy_identical"] = f"{sum(a == b for a, b in zip(*texts.values()))}/{args.greedy}"
    b = result["backends"]
    result["speedup_continuous_vs_generate"] = round(b["hf_continuous"]["problems_per_s"] / b["hf"]["problems_per_s"], 2)
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
