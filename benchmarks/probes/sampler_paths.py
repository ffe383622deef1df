"""Sampling paths of transformers side by side on the 0.6B-shaped random model (issue 17's sampler target), one after
the other in one process so that they are measured on the same GPU, model and prompts: batched `generate` (the `hf`
backend's path), `generate` with a static KV cache (transformers compiles its decode step), and continuous batching
(`generate_batch`) under ContinuousBatchingConfig settings. Every row runs to --new-tokens (random weights never stop).
Prints one JSON line per path; with --out, appends each to that file as it is measured.

    python benchmarks/probes/sampler_paths.py generate:batch=256 static:batch=512 cb:use_cuda_graph=True [--prompts 1024]

A spec is PATH[:key=value,...]; PATH is generate, static or cb; cb's keys are ContinuousBatchingConfig fields.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parents[1]))
from gpu_bench import DEVICE, decode_bound, hbm_bandwidth, make_model, sync, timed_continuous, timed_generate  # noqa: E402


def parse(spec: str) -> tuple[str, dict]:
    path, _, rest = spec.partition(":")
    options = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        options[key] = json.loads(value.lower() if value in ("True", "False") else value)
    return path, options


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", nargs="+")
    ap.add_argument("--size", default="0.6b")
    ap.add_argument("--prompts", type=int, default=1024)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--work", default="/tmp/sokrates-sampler-paths")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import transformers
    from sokrates.model import load_model, load_tokenizer
    from sokrates.problems import GeneratorConfig, generate
    model_dir = make_model(Path(args.work), args.size)
    tok = load_tokenizer(model_dir)
    model = load_model(model_dir, DEVICE, tok).eval()
    prompts = [p.prompt() for p in generate(GeneratorConfig(n=args.prompts, seed=3))]
    prompt_tokens = sum(len(tok(p)["input_ids"]) for p in prompts) / len(prompts)
    bandwidth = hbm_bandwidth()
    lines = []
    for spec in args.specs:
        path, options = parse(spec)
        started = time.perf_counter()
        try:
            if path in ("generate", "static"):
                fig = timed_generate(model, tok, prompts, options.get("batch", 256), args.new_tokens, static=path == "static")
            else:
                fig = timed_continuous(model_dir, tok, prompts, args.new_tokens, options.pop("attention", "paged|sdpa"),
                                       cb=options)
        except Exception as err:  # noqa: BLE001 - one path that fails is recorded, the others still run
            fig = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
        fig.update(spec=spec, wall_with_warmup_s=round(time.perf_counter() - started, 1),
                   transformers=transformers.__version__, device=torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu")
        if bandwidth and "tokens_per_s" in fig and "batch" in fig:
            bound = decode_bound(model, bandwidth, fig["batch"], prompt_tokens, args.new_tokens)
            fig["bound_fraction"] = round(fig["tokens_per_s"] / bound, 4)
        lines.append(fig)
        print(json.dumps(fig), flush=True)
        if args.out:  # line by line, so that a call stopped at its time limit keeps what it measured
            with open(args.out, "a") as f:
                f.write(json.dumps(fig) + "\n")
        sync()
        if DEVICE == "cuda":
            torch.cuda.empty_cache()
    base = next((f["problems_per_s"] for f in lines if f["spec"].startswith("generate") and "problems_per_s" in f), None)
    for f in lines:
        if base and "problems_per_s" in f:
            f["speedup_vs_first_generate"] = round(f["problems_per_s"] / base, 2)
    print(json.dumps({f["spec"]: f.get("speedup_vs_first_generate", f.get("error")) for f in lines}))


if __name__ == "__main__":
    main()
