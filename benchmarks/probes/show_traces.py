"""What a model writes: greedy traces on the first test problems with each step's verdict, and the first-error causes
over --test problems (the pipeline's own records).   python benchmarks/probes/show_traces.py MODEL [--show 3]"""
import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dpo_scale import problems  # noqa: E402

from sokrates.model import model_template  # noqa: E402
from sokrates.sampling import HFSampler, SampleSettings, sample_records  # noqa: E402


def first_errors(records: list[dict]) -> dict:
    """How many traces first fail by each cause (or are valid, or wrong only in their answer)."""
    first = Counter(next((s["cause"] or s["reason"] for s in r["steps"] if not s["valid"]), "valid" if r["valid"]
                         else "answer") for r in records)
    return dict(first.most_common(8))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--show", type=int, default=3)
    ap.add_argument("--test", type=int, default=300)
    args = ap.parse_args()
    _, test = problems(1, args.test)
    records = sample_records(test, HFSampler(args.model), SampleSettings(samples_per_problem=1, temperature=0.0),
                             model_template(args.model), progress=False)
    for p, r in list(zip(test, records))[:args.show]:
        print("\n".join(f"  {i}. {t}" for i, t in enumerate(p.premises)), "\n  Q:", p.query, p.label)
        print(r["text"])
        for s in r["steps"]:
            print("   ->", s["option"], s["args"], s["valid"], s["reason"], s["cause"])
    print("first error:", first_errors(records))


if __name__ == "__main__":
    main()
