"""Multi-GPU benchmark (issue: multi-GPU run). Run it under torchrun with 1 and with N processes on the same
model and data; each run samples through the pipeline's own rank split (problems[rank::world], exact merge) and
trains SFT through TRL/accelerate (DDP, same per-device batch), and rank 0 writes its figures:

    torchrun --nproc_per_node 1 benchmarks/multi_gpu.py --out one.json
    torchrun --nproc_per_node 2 benchmarks/multi_gpu.py --out two.json
    python benchmarks/multi_gpu.py --compare one.json two.json   # same problems? speed-ups

On a CPU it runs with gloo and --size tiny (a smoke run).
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent))
from gpu_bench import PEAK_BF16, make_model, steady_figures, step_timer  # noqa: E402


def sample(model_dir: Path, problems: list, new_tokens: int, device: str) -> dict:
    """Every problem sampled once, split by rank and merged; the merged problem ids and the wall time."""
    from sokrates.sampling import HFSampler, SampleSettings, sample_records
    sampler = HFSampler(model_dir, device)
    settings = SampleSettings(samples_per_problem=1, max_new_tokens=new_tokens, temperature=1.0)
    sample_records(problems[:8], sampler, settings, "solve_compact", progress=False)  # warm-up
    dist.barrier()
    started = time.perf_counter()
    records = sample_records(problems, sampler, settings, "solve_compact", progress=False)
    dist.barrier()
    seconds = time.perf_counter() - started
    return {"problems": len(problems), "new_tokens_per_problem": new_tokens, "seconds": round(seconds, 3),
            "problems_per_s": round(len(problems) / seconds, 2), "merged_problem_ids": [r["problem_id"] for r in records]}


def train(model_dir: Path, problems: list, work: Path, args, params: int, peak: float | None) -> dict:
    """SFT with the same per-device batch on every rank (DDP through the Trainer): global tokens/s."""
    from sokrates.training import SFTSettings, run_sft
    timer = step_timer()
    settings = SFTSettings(epochs=1, learning_rate=1e-4, batch_size=args.batch, logging_steps=5,
                           torch_compile=False, group_by_length=True)
    sft = run_sft(model_dir, problems, work / f"sft_{dist.get_world_size()}", settings, callbacks=(timer,))
    return {"per_device_batch": args.batch, "examples": sft["examples"],
            **steady_figures(timer, sft["tokens_per_epoch"], sft["steps"], args.warmup_steps, params,
                             peak * dist.get_world_size() if peak else None)}  # MFU over all the GPUs' peaks


def compare(one: dict, many: dict) -> dict:
    same = one["sampling"]["merged_problem_ids"] == many["sampling"]["merged_problem_ids"]
    ids = many["sampling"]["merged_problem_ids"]
    return {"world_sizes": [one["world_size"], many["world_size"]], "same_problems_in_same_order": same,
            "repeated": len(ids) - len(set(ids)), "lost": len(set(one["sampling"]["merged_problem_ids"]) - set(ids)),
            "sampling_speedup": round(many["sampling"]["problems_per_s"] / one["sampling"]["problems_per_s"], 2),
            "sft_speedup": round(many["sft"]["tokens_per_s"] / one["sft"]["tokens_per_s"], 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="0.6b")
    ap.add_argument("--work", default="/tmp/sokrates-multi")
    ap.add_argument("--out", default=None)
    ap.add_argument("--problems", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64, help="SFT batch per device")
    ap.add_argument("--train-steps", type=int, default=20, help="SFT steps of each rank")
    ap.add_argument("--warmup-steps", type=int, default=5)
    ap.add_argument("--compare", nargs=2, metavar=("ONE", "MANY"), help="compare two result files and stop")
    args = ap.parse_args()
    if args.compare:
        one, many = (json.loads(Path(f).read_text()) for f in args.compare)
        print(json.dumps(compare(one, many), indent=2))
        return
    from sokrates.model import load_model
    from sokrates.problems import GeneratorConfig, generate
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu"
    if cuda:
        torch.cuda.set_device(device)
    work = Path(args.work)
    if rank == 0:
        make_model(work / "model", args.size)
    dist.barrier()
    model_dir = work / "model"
    params = sum(p.numel() for p in load_model(model_dir, "cpu").parameters())
    name = torch.cuda.get_device_name(0) if cuda else "cpu"
    result = {"device": name, "world_size": world, "size": args.size, "parameters": params,
              "sampling": sample(model_dir, generate(GeneratorConfig(n=args.problems, seed=3)), args.new_tokens, device),
              "sft": train(model_dir, generate(GeneratorConfig(n=args.train_steps * args.batch * world, seed=4)), work,
                           args, params, next((v for k, v in PEAK_BF16.items() if k in name), None))}
    if rank == 0:
        text = json.dumps(result, indent=2)
        if args.out:
            Path(args.out).write_text(text)
        print(json.dumps({k: v for k, v in result.items() if k != "sampling"}) + "\n" +
              json.dumps({k: v for k, v in result["sampling"].items() if k != "merged_problem_ids"}))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
