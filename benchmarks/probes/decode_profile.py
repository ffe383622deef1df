"""Where a decode step's time goes in batched `generate` on the 0.6B-shaped random model (issue 17): the time of one
bare forward step with a KV cache at each batch size (the model alone), against `generate`'s time per new token at
the same batch (the model plus generate's loop), then the top GPU kernels and host calls of a few `generate` steps.

    python benchmarks/probes/decode_profile.py [--batches 64 256 512] [--new-tokens 64]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parents[1]))
from gpu_bench import DEVICE, generate_kwargs, make_model, sync  # noqa: E402


def bare_step_ms(model, enc, steps: int = 20) -> float:
    """Milliseconds of one forward of one new token per row, after the prompt's prefill (DynamicCache)."""
    with torch.no_grad():
        model(**enc, use_cache=True, logits_to_keep=1)  # warm-up (cuDNN's attention plans)
        out = model(**enc, use_cache=True, logits_to_keep=1)
        cache, token = out.past_key_values, out.logits[:, -1:].argmax(-1)
        mask = torch.cat([enc["attention_mask"], torch.ones_like(token)], 1)
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            out = model(input_ids=token, attention_mask=mask, past_key_values=cache, use_cache=True, logits_to_keep=1)
            token = out.logits[:, -1:].argmax(-1)
            mask = torch.cat([mask, torch.ones_like(token)], 1)
        sync()
    return (time.perf_counter() - start) / steps * 1000


def generate_ms(model, tok, enc, new_tokens: int, **modes) -> float:
    kwargs = generate_kwargs(tok, new_tokens, **modes)
    with torch.no_grad():
        model.generate(**enc, **kwargs)
        sync()
        start = time.perf_counter()
        model.generate(**enc, **kwargs)
        sync()
    return (time.perf_counter() - start) / new_tokens * 1000


def modes(mode: str, static: bool) -> dict:
    return dict(static=static, sample=mode != "greedy", stop=mode == "sample_stop")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, nargs="+", default=[64, 256, 512])
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--profile-batch", type=int, default=256)
    ap.add_argument("--size", default="0.6b")
    ap.add_argument("--static", action="store_true", help="generate with a static KV cache (compiled decode)")
    ap.add_argument("--modes", nargs="+", default=["greedy"], choices=("greedy", "sample", "sample_stop"),
                    help="decoding measured at each batch; the profile runs the last")
    args = ap.parse_args()
    from sokrates.model import load_model, load_tokenizer
    from sokrates.problems import GeneratorConfig, generate
    model_dir = make_model(Path("/tmp/sokrates-decode-profile"), args.size)
    tok = load_tokenizer(model_dir)
    tok.padding_side = "left"
    model = load_model(model_dir, DEVICE, tok).eval()
    print(json.dumps({"dtype": str(model.dtype), "attention": model.config._attn_implementation}), flush=True)
    prompts = [p.prompt() for p in generate(GeneratorConfig(n=max(args.batches), seed=3))]
    for batch in args.batches:
        enc = tok(prompts[:batch], return_tensors="pt", padding=True, add_special_tokens=False).to(DEVICE)
        for mode in args.modes:
            ms = generate_ms(model, tok, enc, args.new_tokens, **modes(mode, args.static))
            print(json.dumps({"batch": batch, "prompt_tokens": enc["input_ids"].shape[1], "static": args.static,
                              "mode": mode, "generate_ms_per_token": round(ms, 2)}), flush=True)
        if not args.static:
            print(json.dumps({"batch": batch, "bare_forward_ms_per_step": round(bare_step_ms(model, enc), 2)}), flush=True)
    enc = tok(prompts[:args.profile_batch], return_tensors="pt", padding=True, add_special_tokens=False).to(DEVICE)
    activities = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if DEVICE == "cuda" else [])
    with torch.no_grad():
        model.generate(**enc, **generate_kwargs(tok, 16, **modes(args.modes[-1], args.static)))  # warm at this shape
    with torch.no_grad(), torch.profiler.profile(activities=activities) as prof:
        model.generate(**enc, **generate_kwargs(tok, 16, **modes(args.modes[-1], args.static)))
        sync()
    sort = "cuda_time_total" if DEVICE == "cuda" else "cpu_time_total"
    print(prof.key_averages().table(sort_by=sort, row_limit=15, max_name_column_width=60))
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15, max_name_column_width=60))


if __name__ == "__main__":
    main()
