"""Sampling backends side by side on a trained model, where traces end at different lengths: batched `generate`
(`hf`, always first) against transformers' continuous batching (`hf_continuous`) and the `openai` backend against
`transformers serve`, started here with --serve's options; the loop's own sample_records on the same problems and
settings. Prints and writes problems/s for each, the speed-ups over `hf`, the share of valid samples, and how many
greedy outputs equal `hf`'s on the first --greedy problems.

    python benchmarks/sampler_speed.py [--model checkpoints/tiny-sft] [--problems 2000] [--out FILE.json]
    python benchmarks/sampler_speed.py --backends hf openai --serve=--continuous-batching   # the server batches
"""
import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from sokrates.model import model_template
from sokrates.loop import LoopConfig
from sokrates.problems import generate
from sokrates.sampling import SampleSettings, make_sampler, sample_records, transformers_serve


def samplers(args):
    """(backend, sampler) pairs, `hf` first, each made when its turn comes."""
    for name in ["hf"] + [b for b in args.backends if b != "hf"]:
        if name == "openai":
            with transformers_serve(args.model, *args.serve.split()) as url:
                yield name, make_sampler(args.model, SampleSettings(backend=name, base_url=url))
        else:
            yield name, make_sampler(args.model, SampleSettings(backend=name))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="checkpoints/tiny-sft")
    ap.add_argument("--problems", type=int, default=2000)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--greedy", type=int, default=200, help="problems whose greedy outputs are compared")
    ap.add_argument("--backends", nargs="+", default=["hf", "hf_continuous"], choices=["hf", "hf_continuous", "openai"])
    ap.add_argument("--serve", default="", help="options of `transformers serve` for the openai backend")
    ap.add_argument("--requests-in-flight", type=int, default=SampleSettings.requests_in_flight)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    problems = generate(replace(LoopConfig().data.generator(train=False), n=args.problems))  # the demo's test set
    template = model_template(args.model)
    settings = SampleSettings(samples_per_problem=args.samples, temperature=args.temperature, seed=0,
                              requests_in_flight=args.requests_in_flight)
    greedy = replace(settings, samples_per_problem=1, temperature=0.0)
    result = {"model": args.model, "problems": args.problems, "samples_per_problem": args.samples,
              "temperature": args.temperature, "serve_options": args.serve, "backends": {}}
    texts = {}  # each backend's greedy traces on the first --greedy problems
    for name, sampler in samplers(args):
        sample_records(problems[:16], sampler, settings, template, progress=False)  # warm-up
        started = time.perf_counter()
        records = sample_records(problems, sampler, settings, template, progress=False)
        seconds = time.perf_counter() - started
        result["backends"][name] = {"seconds": round(seconds, 2), "problems_per_s": round(args.problems / seconds, 2),
                                    "valid_share": round(sum(r["valid"] for r in records) / len(records), 4)}
        texts[name] = [r["text"] for r in
                       sample_records(problems[:args.greedy], sampler, greedy, template, progress=False)]
        print(name, json.dumps(result["backends"][name]), flush=True)
    b = result["backends"]
    for name in b:
        if name != "hf":
            result[f"greedy_identical_{name}"] = f"{sum(x == y for x, y in zip(texts[name], texts['hf']))}/{args.greedy}"
            result[f"speedup_{name}_vs_hf"] = round(b[name]["problems_per_s"] / b["hf"]["problems_per_s"], 2)
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
