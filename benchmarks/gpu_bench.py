"""GPU benchmark (issue: GPU scale). A randomly initialised model of a real architecture and size
(Qwen3-0.6B-shaped, bf16) on generated problems: sampling throughput of one-at-a-time `generate`, batched
`generate` and batched generation with a static KV cache and a compiled decode step; SFT and DPO training
throughput through the pipeline's own TRL trainers (tokens/s and model-FLOPs utilisation); peak GPU memory.
Writes the figures, with the device name, to benchmarks/results/.

    python benchmarks/gpu_bench.py [--size 0.6b] [--out benchmarks/results/gpu_<device>.json]
    python benchmarks/gpu_bench.py --skip-sampling --sft batch_size=128 batch_size=128,torch_compile=false --skip-dpo

Each --sft/--dpo spec sets SFTSettings/DPOSettings fields. Training is timed over the steps after --warmup-steps
(compilation left out); MFU counts 6 x parameters x real (unpadded) tokens per second, attention FLOPs left out,
over the GPU's dense bf16 peak. `--size tiny` runs on a CPU as a smoke test.
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
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"  # CPU only for a smoke run with --size tiny


def slug(text: str) -> str:
    """A file-name-safe form of a spec or device name."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text)


def sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def reset_peak() -> None:
    if DEVICE == "cuda":
        torch.cuda.reset_peak_memory_stats()


def peak_gib() -> float | None:
    return round(torch.cuda.max_memory_allocated() / 2 ** 30, 2) if DEVICE == "cuda" else None


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


def generate_kwargs(tok, new_tokens: int, static: bool = False, sample: bool = False, stop: bool = False) -> dict:
    """`generate`'s arguments for a row that runs to `new_tokens`: greedy, or sampled at T 0.7 as the loop samples;
    `static`: a static KV cache (transformers compiles its decode step); `stop`: the loop's stop strings, checked
    every step."""
    from sokrates.traces import STOP_STRINGS
    kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=tok.pad_token_id,
                  do_sample=sample, **(dict(temperature=0.7, top_p=1.0) if sample else {}))
    if stop:
        kwargs.update(stop_strings=STOP_STRINGS, tokenizer=tok)
    return {**kwargs, "cache_implementation": "static"} if static else kwargs


def timed_generate(model, tok, prompts, batch, new_tokens, static=False):
    """Problems/s and generated tokens/s; every row runs to `new_tokens` (random weights never stop)."""
    tok.padding_side = "left"
    kwargs = generate_kwargs(tok, new_tokens, static)
    def run():
        for i in range(0, len(prompts), batch):
            enc = tok(prompts[i:i + batch], return_tensors="pt", padding=True, add_special_tokens=False).to(DEVICE)
            with torch.no_grad():
                model.generate(**enc, **kwargs)
    enc = tok(prompts[:batch], return_tensors="pt", padding=True, add_special_tokens=False).to(DEVICE)
    with torch.no_grad():  # warm-up, at full length so the static path compiles for the shapes it will see
        model.generate(**enc, **kwargs)
    sync()
    start = time.perf_counter()
    run()
    sync()
    elapsed = time.perf_counter() - start
    return {"batch": batch, "problems": len(prompts), "new_tokens": new_tokens, "seconds": round(elapsed, 3),
            "problems_per_s": round(len(prompts) / elapsed, 3), "tokens_per_s": round(len(prompts) * new_tokens / elapsed, 1)}


def timed_continuous(model_dir: Path, tok, prompts, new_tokens: int, attention: str = "paged|sdpa",
                     cb: dict | None = None) -> dict:
    """transformers' continuous batching (`generate_batch`, paged attention) on the same prompts, greedy, every
    request to `new_tokens` (random weights never stop); `cb` sets ContinuousBatchingConfig fields."""
    from transformers import ContinuousBatchingConfig, GenerationConfig
    from sokrates.model import load_model
    model = load_model(model_dir, DEVICE, tok, attn_implementation=attention).eval()
    config = GenerationConfig(max_new_tokens=new_tokens, do_sample=False, eos_token_id=-1,
                              pad_token_id=tok.pad_token_id)
    ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    settings = dict(generation_config=config, continuous_batching_config=ContinuousBatchingConfig(**(cb or {})))
    with torch.no_grad():
        model.generate_batch(inputs=ids[:32], **settings)  # warm-up (CUDA graphs, paged cache)
        sync()
        start = time.perf_counter()
        out = model.generate_batch(inputs=ids, **settings)
        sync()
    elapsed = time.perf_counter() - start
    tokens = sum(len(r.generated_tokens) for r in out.values())
    del model
    return {"problems": len(prompts), "new_tokens": new_tokens, "seconds": round(elapsed, 3),
            "problems_per_s": round(len(prompts) / elapsed, 3), "tokens_per_s": round(tokens / elapsed, 1)}


def hbm_bandwidth() -> float | None:
    """Measured device-memory bandwidth in bytes/s (a 2 GiB copy: read + write)."""
    if DEVICE != "cuda":
        return None
    x = torch.empty(2 ** 30, dtype=torch.bfloat16, device=DEVICE)
    y = torch.empty_like(x)
    y.copy_(x)
    sync()
    start = time.perf_counter()
    for _ in range(10):
        y.copy_(x)
    sync()
    return 10 * 2 * x.numel() * x.element_size() / (time.perf_counter() - start)


def decode_bound(model, bandwidth: float, rows: int, prompt_tokens: int, new_tokens: int) -> float:
    """Tokens/s that memory bandwidth allows at `rows` rows: every decode step reads the weights once and every row's
    KV cache, on average `prompt_tokens + new_tokens / 2` long (at large batches the cache, not the weights, dominates)."""
    cfg = model.config
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    kv_per_token = 2 * cfg.num_hidden_layers * cfg.num_key_value_heads * cfg.head_dim * model.dtype.itemsize
    step_bytes = weights + rows * (prompt_tokens + new_tokens / 2) * kv_per_token
    return rows * bandwidth / step_bytes


def measure_sampling(model, tok, prompts, args, model_dir: Path) -> dict:
    """One-at-a-time, batched, batched with a static cache (transformers compiles its decode step), and continuous
    batching; the fraction of the bandwidth bound (decode_bound: weights and KV cache read once per step)."""
    reset_peak()
    sampling = {"one_at_a_time": timed_generate(model, tok, prompts[:8], 1, args.new_tokens),
                "batched": timed_generate(model, tok, prompts[:args.batch * 2], args.batch, args.new_tokens)}
    try:
        sampling["batched_static_compiled"] = timed_generate(model, tok, prompts[:args.batch * 2], args.batch,
                                                             args.new_tokens, static=True)
    except Exception as err:  # noqa: BLE001 - report what failed, keep the other figures
        sampling["batched_static_compiled"] = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
    for name, attention in (("continuous", "paged|sdpa"), ("continuous_flex", "paged|flex_attention")):
        try:
            sampling[name] = timed_continuous(model_dir, tok, prompts[:args.batch * 2], args.new_tokens, attention)
        except Exception as err:  # noqa: BLE001 - report what failed, keep the other figures
            sampling[name] = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
    one = sampling["one_at_a_time"]["problems_per_s"]
    for fig in sampling.values():
        if "problems_per_s" in fig:
            fig["speedup_vs_one_at_a_time"] = round(fig["problems_per_s"] / one, 1)
    result = {"sampling": sampling, "sampling_peak_memory_gib": peak_gib()}
    bandwidth = hbm_bandwidth()
    if bandwidth and "problems_per_s" in sampling["continuous"]:
        prompt_tokens = sum(len(tok(p)["input_ids"]) for p in prompts) / len(prompts)
        bound = decode_bound(model, bandwidth, args.batch, prompt_tokens, args.new_tokens)
        result.update(sampling_speedup_vs_batched_generate=round(
            sampling["continuous"]["problems_per_s"] / sampling["batched"]["problems_per_s"], 2),
            hbm_bandwidth_gb_s=round(bandwidth / 1e9), decode_bound_tokens_per_s_at_batch=round(bound),
            bound_fraction={k: round(v["tokens_per_s"] / bound, 3) for k, v in sampling.items() if "tokens_per_s" in v})
    return result


def step_timer():
    """A TrainerCallback that records the wall time at the end of every optimizer step (after a device sync)."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        times: list = []

        def on_step_end(self, args, state, control, **kwargs):
            sync()
            self.times.append(time.perf_counter())

    return StepTimer()


def profiler(first: int, last: int):
    """A TrainerCallback that profiles steps first..last and prints the GPU's top kernels."""
    from transformers import TrainerCallback

    class Profile(TrainerCallback):
        prof = None

        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == first:
                self.prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU,
                                                               torch.profiler.ProfilerActivity.CUDA])
                self.prof.__enter__()

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == last and self.prof:
                sync()
                self.prof.__exit__(None, None, None)
                print(self.prof.key_averages().table(sort_by="cuda_time_total", row_limit=25), flush=True)
                self.prof = None

    return Profile()


def parse_spec(spec: str, defaults: dict) -> dict:
    """"batch_size=64,packing=true" -> settings fields over the defaults (values read as YAML)."""
    import yaml
    return {**defaults, **{k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in spec.split(",") if kv)}}


def steady_figures(timer, tokens_per_epoch: int, steps: int, warmup: int, params: int, peak: float | None) -> dict:
    """Tokens/s and MFU over the steps after `warmup` (compilation and first-step costs left out), counting the
    run's real tokens (no padding) evenly over its steps."""
    steady = timer.times[warmup:]
    seconds = steady[-1] - steady[0]
    tokens_per_s = tokens_per_epoch * (len(steady) - 1) / steps / seconds
    return {"steps": steps, "timed_steps": len(steady) - 1, "seconds_per_step": round(seconds / (len(steady) - 1), 4),
            "tokens_per_s": round(tokens_per_s, 1), "mfu": round(6 * params * tokens_per_s / peak, 4) if peak else None,
            "peak_memory_gib": peak_gib()}


def measure_sft(model_dir: Path, spec: str, work: Path, params: int, peak: float | None, args,
                profile: bool = False) -> dict:
    """SFT through the pipeline's trainer with the settings in `spec`."""
    from sokrates.problems import GeneratorConfig, generate
    from sokrates.training import SFTSettings, run_sft
    fields = parse_spec(spec, {"epochs": 1, "learning_rate": 1e-4, "logging_steps": 5, "batch_size": 32})
    per_row = fields.get("max_length", 512) // 240 if fields.get("packing") else 1  # examples average ~240 tokens
    problems = generate(GeneratorConfig(n=args.train_steps * fields["batch_size"] * per_row, seed=4))
    timer = step_timer()
    callbacks = (timer, profiler(args.warmup_steps, args.warmup_steps + 2)) if profile else (timer,)
    reset_peak()
    out = work / ("sft_" + slug(spec))
    sft = run_sft(model_dir, problems, out, SFTSettings(**fields), callbacks=callbacks)
    return {"spec": spec, "settings": fields, "examples": sft["examples"], "tokens_per_epoch": sft["tokens_per_epoch"],
            **steady_figures(timer, sft["tokens_per_epoch"], sft["steps"], args.warmup_steps, params, peak)}


def measure_dpo(model_dir: Path, tok, spec: str, work: Path, params: int, peak: float | None, args) -> dict:
    """DPO through the pipeline's trainer on gold-vs-corrupted pairs (a wrong premise index), reference
    log-probs precomputed (its wall time reported apart)."""
    from sokrates.problems import GeneratorConfig, generate
    from sokrates.training import DPOSettings, run_dpo
    fields = parse_spec(spec, {"epochs": 1, "learning_rate": 1e-6, "logging_steps": 5, "batch_size": 16})
    pairs = []
    for p in generate(GeneratorConfig(n=args.train_steps * fields["batch_size"], seed=4)):
        gold = p.target()
        bad = re.sub(r'args="\[(\d+)', lambda m: f'args="[{(int(m.group(1)) + 1) % len(p.premises)}', gold, count=1)
        pairs.append({"prompt": p.prompt(), "chosen": gold, "rejected": bad})
    tokens = sum(len(tok(r["prompt"] + r["chosen"])["input_ids"]) + len(tok(r["prompt"] + r["rejected"])["input_ids"])
                 for r in pairs)
    timer = step_timer()
    reset_peak()
    started = time.perf_counter()
    dpo = run_dpo(model_dir, pairs, work / ("dpo_" + slug(spec)), DPOSettings(**fields),
                  callbacks=(timer,))
    return {"spec": spec, "settings": fields, "pairs": len(pairs), "tokens_per_epoch": tokens,
            "wall_s_with_reference_precompute": round(time.perf_counter() - started, 2),
            **steady_figures(timer, tokens, dpo["steps"], args.warmup_steps, params, peak)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="0.6b", choices=sorted(SIZES))
    ap.add_argument("--work", default="/tmp/sokrates-bench")
    ap.add_argument("--out", default=None)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--train-steps", type=int, default=30)
    ap.add_argument("--sft", nargs="+", default=["batch_size=32", "batch_size=128"],
                    help="SFT settings to measure, one comma-separated spec each (SFTSettings fields)")
    ap.add_argument("--dpo", nargs="+", default=["batch_size=16"], help="DPO settings to measure, as --sft")
    ap.add_argument("--warmup-steps", type=int, default=5, help="training steps left out of the timing")
    ap.add_argument("--profile", action="store_true", help="print the top kernels of two steady steps of the first SFT spec")
    ap.add_argument("--skip-sampling", action="store_true")
    ap.add_argument("--skip-sft", action="store_true")
    ap.add_argument("--skip-dpo", action="store_true")
    args = ap.parse_args()
    from sokrates.model import load_model, load_tokenizer
    from sokrates.problems import GeneratorConfig, generate

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    device = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu"
    model_dir = make_model(work / "model", args.size)
    tok = load_tokenizer(model_dir)
    model = load_model(model_dir, DEVICE, tok).eval()
    params = sum(p.numel() for p in model.parameters())
    problems = generate(GeneratorConfig(n=max(args.batch * 2, 512), seed=3))
    prompts = [p.prompt() for p in problems]
    result = {"device": device, "size": args.size, "parameters": params, "dtype": "bfloat16",
              "torch": torch.__version__}

    if not args.skip_sampling:
        result.update(measure_sampling(model, tok, prompts, args, model_dir))
    del model
    if DEVICE == "cuda":
        torch.cuda.empty_cache()

    peak = next((v for k, v in PEAK_BF16.items() if k in device), None)
    for stage, specs in (("sft", [] if args.skip_sft else args.sft), ("dpo", [] if args.skip_dpo else args.dpo)):
        result[stage] = []
        for i, spec in enumerate(specs):
            try:  # one spec that fails (out of memory, a kernel missing) is recorded, the others still run
                figures = measure_sft(model_dir, spec, work, params, peak, args, profile=args.profile and i == 0) \
                    if stage == "sft" else measure_dpo(model_dir, tok, spec, work, params, peak, args)
            except Exception as err:  # noqa: BLE001
                figures = {"spec": spec, "error": f"{type(err).__name__}: {str(err)[:300]}"}
            result[stage].append(figures)
            print(json.dumps(figures), flush=True)
            if DEVICE == "cuda":
                torch.cuda.empty_cache()
        measured = [r["mfu"] for r in result[stage] if r.get("mfu") is not None]
        if measured:
            result[f"{stage}_mfu"] = max(measured)  # the best spec's, as a fraction of the dense bf16 peak

    out = Path(args.out or f"benchmarks/results/gpu_{slug(device)}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
