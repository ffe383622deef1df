"""The whole SOKRATES loop on the embedded default (data -> SFT -> 2 DPO iterations -> eval), stage by
stage, printing each stage's wall time and the metrics; then generation throughput of batched vs
one-problem-at-a-time `generate` on the SFT model. Target on 2 CPU cores: <= 20 minutes end to end, and
step validity after DPO iteration 2 above SFT's with non-overlapping 95% intervals.

    python benchmarks/loop_cpu.py [--workspace DIR] [--json OUT] [--set sft.epochs=12 ...]
"""
import argparse
import json
import time
from pathlib import Path

from sokrates.loop import LoopConfig, Run
from sokrates.metrics import format_rate, intervals_overlap
from sokrates.problems import read_problems
from sokrates.sampling import HFSampler, SampleSettings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default="workspace-bench")
    ap.add_argument("--run-id", default="bench")
    ap.add_argument("--json", default=None, help="write the figures here")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a setting, e.g. --set sft.epochs=12 (YAML value)")
    args = ap.parse_args()
    import yaml
    run = Run(args.workspace, LoopConfig(run_id=args.run_id), log=lambda m: None)
    run.save_config()
    run.update({key: yaml.safe_load(value) for key, _, value in (item.partition("=") for item in args.set)})
    stages: list[tuple[str, float]] = []

    def timed(name, fn):
        started = time.time()
        result = fn()
        stages.append((name, time.time() - started))
        print(f"{name:<22} {stages[-1][1]:7.1f} s", flush=True)
        return result

    total = time.time()
    timed("model init", run.base_model)
    timed("data", run.data)
    timed("sft", run.sft)
    evals = {0: timed("eval sft", lambda: run.evaluate(0))}
    for k in range(1, run.cfg.iterations + 1):
        timed(f"sample iter{k}", lambda: run.sample(k))
        check = timed(f"check iter{k}", lambda: run.check(k))
        pairs = timed(f"pairs iter{k}", lambda: run.pairs(k))
        print(f"  check {check['verdict']} {check['reasons']}; pairs {pairs['pairs']} from "
              f"{pairs['problems_with_pairs']}/{pairs['problems']} problems")
        timed(f"dpo iter{k}", lambda: run.dpo(k))
        evals[k] = timed(f"eval iter{k}", lambda: run.evaluate(k))
    total = time.time() - total
    print(f"{'total':<22} {total:7.1f} s ({total / 60:.1f} min; target <= 20 min)")
    for k, s in evals.items():
        print(f"{s['stage']:<10} accuracy {format_rate(s['accuracy'])}  step validity {format_rate(s['step_validity'])}  "
              f"trace validity {format_rate(s['trace_validity'])}")
    first, last = evals[0]["step_validity"], evals[max(evals)]["step_validity"]
    better = last["value"] > first["value"] and not intervals_overlap(first, last)
    print(f"step validity SFT -> DPO iter{max(evals)}: {first['value']:.3f} -> {last['value']:.3f}, "
          f"intervals {'do not overlap' if not intervals_overlap(first, last) else 'overlap'}: target {'met' if better else 'NOT met'}")

    problems = read_problems(run.test_file)[:64]
    sampler = HFSampler(run.model_of(0))
    speed = {}
    for name, size, n in (("batched", None, 64), ("one-at-a-time", 1, 16)):
        s = SampleSettings(samples_per_problem=1, temperature=0.0, batch_size=size)
        prompts = [p.prompt("solve_compact") for p in problems[:n]]
        started = time.time()
        sampler.generate(prompts, 1, s, progress=False)
        speed[name] = n / (time.time() - started)
        print(f"generation {name:<14} {speed[name]:6.2f} problems/s")
    print(f"batched / one-at-a-time: {speed['batched'] / speed['one-at-a-time']:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"stages_s": dict(stages), "total_s": total,
                                               "evals": {k: {m: v[m] for m in ("accuracy", "step_validity", "trace_validity")}
                                                         for k, v in evals.items()},
                                               "generation_problems_per_s": speed}, indent=2))


if __name__ == "__main__":
    main()
