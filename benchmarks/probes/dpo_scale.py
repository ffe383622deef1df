"""Does one DPO iteration lift step validity on unseen problems, and how does that depend on the number of
problems it samples? Samples the largest problem count once from an SFT model, then for each count (its first N
problems) and each pair kind x DPO settings: the pipeline's build_pairs and run_dpo, and greedy evaluation on the
test problems; in-sample (on the DPO problems that gave pairs) too with --in-sample. One JSON line per result.

    python benchmarks/probes/dpo_scale.py --model checkpoints/tiny-sft --problems 1000,4000 --out OUT.jsonl \
        --spec 'step:{"loss_type": ["sigmoid", "sft"]}' --spec 'whole:{}'
"""
import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from sokrates.loop import LoopConfig, unseen
from sokrates.metrics import summarize
from sokrates.model import model_template
from sokrates.pairs import build_pairs
from sokrates.problems import generate
from sokrates.sampling import HFSampler, SampleSettings, sample_records
from sokrates.training import DPOSettings, run_dpo


def greedy(model, problems, template) -> dict:
    s = summarize(sample_records(problems, HFSampler(model), SampleSettings(samples_per_problem=1, temperature=0.0),
                                 template, progress=False))
    return {k: [round(s[k][f], 4) for f in ("value", "ci95_low", "ci95_high")]
            for k in ("accuracy", "step_validity", "trace_validity")}


def problems(n_train: int, n_test: int, train_hops: str | None = None, test_hops: str | None = None) -> tuple[list, list]:
    """The benchmark's first `n_train` training problems and its test problems not among them; hops "MIN-MAX"
    narrow either set (the seeds stay the benchmark's)."""
    data = LoopConfig().data

    def config(train: bool, hops: str | None):
        low, high = (int(h) for h in hops.split("-")) if hops else (data.min_hops, data.max_hops)
        return replace(data.generator(train=train), n=n_train if train else n_test, min_hops=low, max_hops=high)
    train = generate(config(True, train_hops))
    return train, unseen(generate(config(False, test_hops)), train)


def emitter(path: str):
    """emit(**row): print one JSON line and append it to `path` (partial results survive a time limit)."""
    def emit(**row):
        print(json.dumps(row), flush=True)
        with Path(path).open("a") as fh:
            fh.write(json.dumps(row) + "\n")
    return emit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="checkpoints/tiny-sft")
    ap.add_argument("--problems", default="1000")
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--test", type=int, default=300)
    ap.add_argument("--spec", action="append", default=[], help="KIND:JSON, KIND whole or step, JSON DPOSettings")
    ap.add_argument("--skip", type=int, default=0, help="leave out the first N training problems (SFT's gold proofs)")
    ap.add_argument("--in-sample", type=int, default=0, help="also evaluate on this many DPO problems with pairs")
    ap.add_argument("--work", default="/tmp/dpo_scale")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    counts = [int(n) for n in args.problems.split(",")]
    train, test = problems(args.skip + max(counts), args.test)
    train = train[args.skip:]
    template = model_template(args.model)
    emit = emitter(args.out)

    started = time.time()
    emit(event="sft", test=len(test), **greedy(args.model, test, template), s=round(time.time() - started))
    started = time.time()
    settings = SampleSettings(samples_per_problem=args.samples, temperature=args.temperature, seed=1)
    records = sample_records(train, HFSampler(args.model), settings, template, progress=False)
    emit(event="sampled", samples=len(records), s=round(time.time() - started))
    prompts = {p.id: p.prompt() for p in train}
    for n in counts:
        ids = {p.id for p in train[:n]}
        mine = [r for r in records if r["problem_id"] in ids]
        for spec in args.spec:
            kind, settings_json = spec.split(":", 1)
            pairs, report = build_pairs(mine, prompts, step_pairs=kind == "step")
            started = time.time()
            result = run_dpo(args.model, pairs, Path(args.work) / f"{n}_{abs(hash(spec))}",
                             DPOSettings(**json.loads(settings_json)))
            row = dict(event="dpo", problems=n, kind=kind, settings=json.loads(settings_json), pairs=report["pairs"],
                       problems_with_pairs=report["problems_with_pairs"], steps=result["steps"],
                       reward_accuracy=result["final_reward_accuracy"], dpo_s=round(time.time() - started),
                       test=greedy(result["model"], test, template))
            if args.in_sample:
                seen = [p for p in train[:n] if p.id in {x["problem_id"] for x in pairs}][:args.in_sample]
                row["in_sample"] = {"problems": len(seen), "sft": greedy(args.model, seen, template),
                                    "dpo": greedy(result["model"], seen, template)}
            emit(**row)


if __name__ == "__main__":
    main()
