"""GPU benchmark (issue: GPU scale). A randomly initialised model of a real architecture and size
(Qwen3-0.6B-shaped, bf16) on generated problems: sampling throughput of one-at-a-time `generate`, batched
`generate` and batched generation with a static KV cache and a compiled decode step; SFT and DPO training
throughput through the pipeline's own TRL trainers (tokens/s and model-FLOPs utilisation); peak GPU memory.
Writes the figures, with the device name, to benchmarks/results/.

    python benchmarks/gpu_bench.py [--size 0.6b] [--out benchmarks/results/gpu_<device>.json]

MFU counts 6 x parameters x tokens per second (attention FLOPs left out) over the GPU's dense bf16 peak.
"""
import argparse
import json
import re
import time
from pathlib import Path

import torch

SIZES = {  # Qwen3 shapes (vocabulary as the real model's, so the LM head costs what it costs there)
    "0.6b": dict(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16,
                 num_key_value_heads=8, head_dim=128, vocab_size=151936),
    "tiny": dict(hidden_size=128, intermediate_size=384, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=32, vocab_size=1024),
}
PEAK_BF16 = {"H100": 989e12, "H200": 989e12}


def make_model(out: Path, size: str) -> Path:
    from transformers import Qwen3Config, Qwen3ForCausalLM
    from sokrates.model import TinyModelConfig, build_tokenizer
    tok = build_tokenizer(TinyModelConfig())
    cfg = Qwen3Config(**SIZES[size], max_position_embeddings=4096, tie_word_embeddings=True,
                      pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    (out / "sokrates_model.json").write_text(json.dumps({"template": "solve_compact", "kind": "benchmark"}))
    return out


def timed_generate(model, tok, prompts, batch, new_tokens, static=False):
    """Problems/s and generated tokens/s; every row runs to `new_tokens` (random weights never stop)."""
    tok.padding_side = "left"
    kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
    if static:
        kwargs["cache_implementation"] = "static"
    def run():
        for i in range(0, len(prompts), batch):
            enc = tok(prompts[i:i + batch], return_tensors="pt", padding=True, add_special_tokens=False).to("cuda")
            with torch.no_grad():
                model.generate(**enc, **kwargs)
    enc = tok(prompts[:batch], return_tensors="pt", padding=True, add_special_tokens=False).to("cuda")
    with torch.no_grad():  # warm-up, at full length so the static path compiles for the shapes it will see
        model.generate(**enc, **kwargs)
    torch.cuda.synchronize()
    start = time.perf_counter()
    run()
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    return {"batch": batch, "problems": len(prompts), "new_tokens": new_tokens, "seconds": round(elapsed, 3),
            "problems_per_s": round(len(prompts) / elapsed, 3), "tokens_per_s": round(len(prompts) * new_tokens / elapsed, 1)}


def measure_sampling(model, tok, prompts, args) -> dict:
    """One-at-a-time, batched, and batched with a static cache (transformers compiles its decode step)."""
    torch.cuda.reset_peak_memory_stats()
    sampling = {"one_at_a_time": timed_generate(model, tok, prompts[:8], 1, args.new_tokens),
                "batched": timed_generate(model, tok, prompts[:args.batch * 2], args.batch, args.new_tokens)}
    try:
        sampling["batched_static_compiled"] = timed_generate(model, tok, prompts[:args.batch * 2], args.batch,
                                                             args.new_tokens, static=True)
    except Exception as err:  # noqa: BLE001 - report what failed, keep the other figures
        sampling["batched_static_compiled"] = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
    one = sampling["one_at_a_time"]["problems_per_s"]
    for fig in sampling.values():
        if "problems_per_s" in fig:
            fig["speedup_vs_one_at_a_time"] = round(fig["problems_per_s"] / one, 1)
    return {"sampling": sampling, "sampling_peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2 ** 30, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="0.6b", choices=sorted(SIZES))
    ap.add_argument("--work", default="/tmp/sokrates-bench")
    ap.add_argument("--out", default=None)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--train-steps", type=int, default=30)
    ap.add_argument("--sft-batch", type=int, nargs="+", default=[32, 128], help="SFT batch sizes to measure")
    ap.add_argument("--compile", action="store_true", help="also measure SFT with torch.compile")
    ap.add_argument("--skip-sampling", action="store_true")
    ap.add_argument("--skip-dpo", action="store_true")
    args = ap.parse_args()
    from sokrates.model import load_model, load_tokenizer
    from sokrates.problems import GeneratorConfig, generate
    from sokrates.training import DPOSettings, SFTSettings, run_dpo, run_sft

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    device = torch.cuda.get_device_name(0)
    model_dir = make_model(work / "model", args.size)
    tok = load_tokenizer(model_dir)
    model = load_model(model_dir, "cuda", tok).eval()
    params = sum(p.numel() for p in model.parameters())
    problems = generate(GeneratorConfig(n=max(args.batch * 2, 512), seed=3))
    prompts = [p.prompt() for p in problems]
    result = {"device": device, "size": args.size, "parameters": params, "dtype": "bfloat16",
              "torch": torch.__version__}

    if not args.skip_sampling:
        result.update(measure_sampling(model, tok, prompts, args))
    del model
    torch.cuda.empty_cache()

    peak = next((v for k, v in PEAK_BF16.items() if k in device), None)
    train_problems = generate(GeneratorConfig(n=args.train_steps * max(args.sft_batch), seed=4))
    result["sft"] = []
    for batch in args.sft_batch:
        for compiled in ([False, True] if args.compile else [False]):
            torch.cuda.reset_peak_memory_stats()
            out = work / f"sft_{batch}_{int(compiled)}"
            sft = run_sft(model_dir, train_problems[: args.train_steps * batch], out,
                          SFTSettings(epochs=1, batch_size=batch, logging_steps=5, learning_rate=1e-4,
                                      torch_compile=compiled))
            log = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
            final = next(x for x in reversed(log) if "train_runtime" in x)
            tokens_per_s = sft["tokens_per_epoch"] / final["train_runtime"]
            result["sft"].append({"steps": sft["steps"], "batch_size": batch, "torch_compile": compiled,
                                  "tokens": sft["tokens_per_epoch"], "seconds": round(final["train_runtime"], 2),
                                  "tokens_per_s": round(tokens_per_s, 1),
                                  "mfu": round(6 * params * tokens_per_s / peak, 4) if peak else None,
                                  "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2 ** 30, 2)})
            print(json.dumps(result["sft"][-1]), flush=True)

    if not args.skip_dpo:
        pairs = []
        for p in train_problems[: args.train_steps * 16]:
            gold = p.target()
            bad = re.sub(r'args="\[(\d+)', lambda m: f'args="[{(int(m.group(1)) + 1) % len(p.premises)}', gold, count=1)
            pairs.append({"prompt": p.prompt(), "chosen": gold, "rejected": bad})
        torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        dpo = run_dpo(model_dir, pairs, work / "dpo", DPOSettings(epochs=1, batch_size=16, logging_steps=5, learning_rate=1e-6))
        dpo_wall = time.perf_counter() - started
        log = [json.loads(x) for x in (work / "dpo" / "metrics.jsonl").read_text().splitlines()]
        final = next(x for x in reversed(log) if "train_runtime" in x)
        dpo_tokens = sum(len(tok(r["prompt"] + r["chosen"])["input_ids"]) + len(tok(r["prompt"] + r["rejected"])["input_ids"])
                         for r in pairs)
        dpo_tps = dpo_tokens / final["train_runtime"]
        result["dpo"] = {"steps": dpo["steps"], "pairs": len(pairs), "batch_size": 16, "seconds": round(final["train_runtime"], 2),
                         "wall_s_with_reference_precompute": round(dpo_wall, 2), "tokens_per_s": round(dpo_tps, 1),
                         "mfu": round(6 * params * dpo_tps / peak, 4) if peak else None,
                         "precompute_ref_log_probs": True,
                         "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2 ** 30, 2)}

    out = Path(args.out or f"benchmarks/results/gpu_{re.sub(r'[^A-Za-z0-9]+', '_', device)}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
