"""Claim checker benchmark: a 20-page draft (about 10,000 words, a results table per page and claims in
prose) checked against a metrics tree of 1,000 files. Target: under 2 s. Prints the figures."""
import json
import random
import tempfile
import time
from pathlib import Path

from agent.claims import check_paths
from sokrates.metrics import rate


def build(root: Path, n_runs: int = 100, stages: int = 10) -> None:
    rng = random.Random(0)
    for r in range(n_runs):
        for s in range(stages):
            stage = "sft" if s == 0 else f"dpo_iter{s}"
            d = root / "runs" / f"run{r}" / stage / "eval"
            d.mkdir(parents=True)
            n = 300
            summary = {"stage": stage, "n_problems": n,
                       **{m: rate(rng.randint(0, n), n) for m in ("accuracy", "step_validity", "trace_validity")}}
            (d / "summary.json").write_text(json.dumps(summary))


def draft(root: Path, pages: int = 20) -> Path:
    lines = ["# Results", ""]
    filler = ("We describe the setup, the data and the training procedure in the usual level of detail, "
              "with the caveats that apply to generated problems. ") * 18
    for page in range(pages):
        run = f"run{page}"
        lines += [f"## Page {page + 1}", "", filler, "",
                  "| Model | Accuracy | Step validity | Trace validity |", "|---|---|---|---|"]
        for s in range(10):
            stage = "sft" if s == 0 else f"dpo_iter{s}"
            summary = json.loads((root / "runs" / run / stage / "eval" / "summary.json").read_text())
            label = "SFT" if s == 0 else f"+ DPO iter{s}"
            cells = " | ".join(f"[{summary[m]['value']:.3f}](runs/{run}/{stage}/eval/summary.json#{m}.value)"
                               for m in ("accuracy", "step_validity", "trace_validity"))
            lines.append(f"| {label} | {cells} |")
        s1 = json.loads((root / "runs" / run / "dpo_iter1" / "eval" / "summary.json").read_text())
        lines += ["", f"In {run}, DPO iteration 1 reaches a step validity of {s1['step_validity']['value'] * 100:.1f}% "
                      f"and an accuracy of {s1['accuracy']['value']:.3f}.", ""]
    path = root / "draft.md"
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root)
        paper = draft(root)
        files = sum(1 for _ in (root / "runs").rglob("*.json"))
        words = len(paper.read_text().split())
        start = time.perf_counter()
        report = check_paths([paper], root / "runs", root / "state.json")
        elapsed = time.perf_counter() - start
        print(f"metrics files: {files}  draft words: {words}  claims: {len(report['claims'])}  {report['summary']}")
        print(f"check time: {elapsed:.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
