"""Greedy step validity of a model on test problems of given hops (test problems in the first --train problems of
--train-hops removed). One JSON line per hops range.

    python benchmarks/probes/hops_eval.py --model M --train-hops 1-3 --hops 1-3 4-4 --out OUT.jsonl
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dpo_scale import emitter, greedy, problems  # noqa: E402

from sokrates.model import model_template  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--train-hops", default=None)
    ap.add_argument("--hops", nargs="+", required=True)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    emit = emitter(args.out)
    for hops in args.hops:
        _, test = problems(args.train, args.test, args.train_hops, hops)
        emit(model=args.model, test_hops=hops, n=len(test), test=greedy(args.model, test, model_template(args.model)))


if __name__ == "__main__":
    main()
