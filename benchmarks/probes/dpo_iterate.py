"""Iterated DPO on problems the SFT model never had gold proofs for: does the verifier add what the gold proofs did
not? From an SFT model trained on the first --skip training problems, each iteration samples --problems fresh
problems (the next slice after --skip) from the current model, builds pairs with the pipeline's build_pairs, trains
with run_dpo and evaluates greedily on the test problems. One JSON line per iteration (partial results survive a
time limit), with the chosen and rejected traces' log-probabilities at the first and last DPO log (the chosen one
falling while the margin grows is likelihood displacement).

    python benchmarks/probes/dpo_iterate.py --model M5K --skip 5000 --problems 10000 --iterations 3 \
        --dpo '{"loss_type": ["sigmoid", "sft"], "epochs": 1}' --out OUT.jsonl
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dpo_scale import emitter, greedy, problems  # noqa: E402

from sokrates.model import model_template  # noqa: E402
from sokrates.pairs import build_pairs, step_pair  # noqa: E402
from sokrates.sampling import HFSampler, SampleSettings, sample_records  # noqa: E402
from sokrates.training import DPOSettings, run_dpo  # noqa: E402


def first_last(logs: list[dict], key: str) -> list[float]:
    values = [x[key] for x in logs if key in x]
    return [round(values[0], 2), round(values[-1], 2)] if values else []


def mode_pairs(records: list[dict], modes: list[dict], prompts: dict[str, str], kind: str, anchor: bool):
    """Pairs aimed at the model's mode (its greedy trace): a valid sample against an invalid greedy trace (the step
    form: a valid step a sample took where the greedy trace first went wrong, after the same steps); with `anchor`
    also the valid greedy trace against invalid samples."""
    by = {}
    for r in records:
        by.setdefault(r["problem_id"], []).append(r)
    if kind == "step":
        pairs = []
        for g in modes:
            sp = None if g["valid"] or not g["verifiable"] else step_pair(by[g["problem_id"]], g, prompts[g["problem_id"]])
            if sp:
                reason = next((s["reason"] for s in g["steps"] if not s["valid"]), "wrong answer")
                pairs.append({"problem_id": g["problem_id"], **sp, "rejected_reason": reason, "kind": "step"})
        return pairs, {"pairs": len(pairs), "problems_with_pairs": len(pairs)}
    kept = []
    for g in modes:
        if not g["valid"]:
            kept += [g] + [r for r in by[g["problem_id"]] if r["valid"]]
        elif anchor:
            kept += [g] + [r for r in by[g["problem_id"]] if not r["valid"]]
    return build_pairs(kept, prompts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--skip", type=int, required=True, help="training problems the SFT model had gold proofs for")
    ap.add_argument("--problems", type=int, default=10000, help="fresh problems sampled per iteration")
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--kind", default="whole", choices=("whole", "step"))
    ap.add_argument("--pairs", default="all", choices=("all", "mode", "mode+"),
                    help="all samples' pairs (the pipeline's), or pairs aimed at the greedy trace (see mode_pairs)")
    ap.add_argument("--dpo", default="{}", help="DPOSettings as JSON")
    ap.add_argument("--work", default="/tmp/dpo_iterate")
    ap.add_argument("--train-hops", default=None, help="MIN-MAX hops of the training problems (default: the benchmark's)")
    ap.add_argument("--test-hops", default=None, help="MIN-MAX hops of the test problems")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    train, test = problems(args.skip + args.iterations * args.problems, args.test, args.train_hops, args.test_hops)
    template = model_template(args.model)
    emit = emitter(args.out)

    model = args.model
    emit(iteration=0, test=greedy(model, test, template))
    for it in range(1, args.iterations + 1):
        chunk = train[args.skip + (it - 1) * args.problems: args.skip + it * args.problems]
        started = time.time()
        settings = SampleSettings(samples_per_problem=args.samples, temperature=args.temperature, seed=it)
        records = sample_records(chunk, HFSampler(model), settings, template, progress=False)
        prompts = {p.id: p.prompt() for p in chunk}
        modes = [] if args.pairs == "all" else sample_records(chunk, HFSampler(model), SampleSettings(
            samples_per_problem=1, temperature=0.0), template, progress=False)
        sample_s = time.time() - started
        if args.pairs == "all":
            pairs, report = build_pairs(records, prompts, step_pairs=args.kind == "step")
        else:
            pairs, report = mode_pairs(records, modes, prompts, args.kind, anchor=args.pairs == "mode+")
        started = time.time()
        work = Path(args.work) / f"iter{it}"
        result = run_dpo(model, pairs, work, DPOSettings(**json.loads(args.dpo)))
        model = result["model"]
        logs = [json.loads(x) for x in (work / "metrics.jsonl").read_text().splitlines()]
        emit(iteration=it, pairs=report["pairs"], problems_with_pairs=report["problems_with_pairs"],
             sampled_valid=round(sum(r["valid"] for r in records) / len(records), 4), steps=result["steps"],
             greedy_valid=round(sum(r["valid"] for r in modes) / len(modes), 4) if modes else None,
             logps_chosen=first_last(logs, "logps/chosen"), logps_rejected=first_last(logs, "logps/rejected"),
             sample_s=round(sample_s), dpo_s=round(time.time() - started), test=greedy(model, test, template))


if __name__ == "__main__":
    main()
