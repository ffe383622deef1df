"""The control for iterated DPO at a low learning rate: is its lift the preference, or only more low-learning-rate
training of an SFT model whose learning rate never decayed? Continues SFT from a model on gold proofs with the same
optimizer budget as three DPO iterations (about 800 steps of batch 16, learning rate decaying from 5e-5), on problems
SFT already had gold proofs for (`--start 0`: no new information, only the decay) or on fresh ones (`--start 60000`:
what gold proofs for DPO's problems would give); then greedy on the test problems. One JSON line.

    python benchmarks/probes/sft_control.py --model checkpoints/tiny-sft --start 0 --problems 13000 --out OUT.jsonl
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dpo_scale import emitter, greedy, problems  # noqa: E402

from sokrates.model import model_template  # noqa: E402
from sokrates.training import SFTSettings, run_sft  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--start", type=int, required=True, help="first training problem whose gold proof is used")
    ap.add_argument("--problems", type=int, default=13000)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--sft", default='{"learning_rate": 5e-5, "scheduler": "cosine", "warmup_ratio": 0.05, '
                                     '"batch_size": 16, "epochs": 1}', help="SFTSettings as JSON")
    ap.add_argument("--work", default="/tmp/sft_control")
    ap.add_argument("--train-hops", default=None, help="MIN-MAX hops of the training problems (default: the benchmark's)")
    ap.add_argument("--test-hops", default=None, help="MIN-MAX hops of the test problems")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    train, test = problems(args.start + args.problems, args.test, args.train_hops, args.test_hops)
    summary = run_sft(args.model, train[args.start:], args.work, SFTSettings(**json.loads(args.sft)))
    model = Path(args.work) / "model"
    emitter(args.out)(start=args.start, problems=args.problems, sft=json.loads(args.sft), steps=summary.get("steps"),
                      test_sft=greedy(args.model, test, model_template(args.model)),
                      test=greedy(model, test, model_template(model)))


if __name__ == "__main__":
    main()
