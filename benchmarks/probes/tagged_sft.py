"""SFT from scratch with the checkpoint's optimizer settings (batch 64, lr 2e-3 constant after a 25% warmup, 60,000
problems) for --steps steps, in a given prompt template and trace style; then greedy on the test problems, with the
first-error causes. The other settings are SFTSettings' defaults: on a GPU compiled and grouped by length, where the
checkpoint's recipe (checkpoints/tiny-sft/recipe.yaml) ran eager and ungrouped. Session 10's question: with each premise's number written after it (template solve_tagged, style
tagged_verbatim) is the number a cited sentence needs a copy the tiny model learns early?

    python benchmarks/probes/tagged_sft.py --template solve_tagged --style tagged_verbatim --steps 2000 --out OUT.jsonl
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dpo_scale import emitter, problems  # noqa: E402
from show_traces import first_errors  # noqa: E402

from sokrates.metrics import summarize  # noqa: E402
from sokrates.model import TinyModelConfig, init_tiny_model, write_meta  # noqa: E402
from sokrates.sampling import HFSampler, SampleSettings, sample_records  # noqa: E402
from sokrates.training import SFTSettings, run_sft  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", default="solve_compact")
    ap.add_argument("--style", default="plain")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--problems", type=int, default=60000)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--work", default="/tmp/tagged_sft")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    train, test = problems(args.problems, args.test)
    base = init_tiny_model(Path(args.work) / "base", TinyModelConfig())
    write_meta(base, template=args.template)
    settings = SFTSettings(epochs=round(args.steps * 64 / args.problems, 4), learning_rate=2e-3, batch_size=64,
                           warmup_ratio=0.25, scheduler="constant_with_warmup", trace_style=args.style)
    summary = run_sft(base, train, Path(args.work) / "sft", settings)
    records = sample_records(test, HFSampler(summary["model"]), SampleSettings(samples_per_problem=1, temperature=0.0),
                             args.template, progress=False)
    s = summarize(records)
    emitter(args.out)(template=args.template, style=args.style, steps=summary["steps"], wall_s=summary.get("wall_s"),
                      final_loss=summary.get("final_loss"), first_errors=first_errors(records[:300]),
                      test={k: [round(s[k][f], 4) for f in ("value", "ci95_low", "ci95_high")]
                            for k in ("accuracy", "step_validity", "trace_validity")})


if __name__ == "__main__":
    main()
