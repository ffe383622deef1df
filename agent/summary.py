"""The session summary printed at the end: how it ended, what ran and how long each step took, the headline
figures from SFT to the last evaluated iteration with their intervals, pairs per iteration, and where the log,
the draft and the charts are."""
from __future__ import annotations

from pathlib import Path

from sokrates.io import read_json
from sokrates.loop import stage_name
from sokrates.metrics import format_rate

from .answers import evaluated, stage_label
from .session_log import SessionLog


def session_summary(workspace: Path, session: str, values: dict, timings: list | None = None) -> list[str]:
    lines = [f"session {session}: {values.get('status')}" + (f" (run {values['run_id']})" if values.get("run_id") else "")]
    if timings:
        lines.append("steps: " + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timings))
    run_dir = Path(workspace) / "runs" / str(values.get("run_id"))
    done = evaluated(run_dir)
    if done:
        first, last = (read_json(run_dir / stage_name(k) / "eval" / "summary.json") for k in (done[0], done[-1]))
        for metric in ("accuracy", "step_validity", "trace_validity"):
            if metric in first:
                change = f"{format_rate(first[metric])} ({stage_label(done[0])})"
                if len(done) > 1:
                    change += f" -> {format_rate(last[metric])} ({stage_label(done[-1])})"
                lines.append(f"{metric.replace('_', ' ')}: {change}")
    pairs = [(p.parent.name.removeprefix("dpo_iter"), read_json(p)) for p in sorted(run_dir.glob("dpo_iter*/pairs.json"))]
    if pairs:
        lines.append("pairs: " + ", ".join(f"{k}: {r['pairs']} from {r['problems_with_pairs']} problems" for k, r in pairs))
    log = SessionLog.open(Path(workspace), session).path
    lines.append(f"log: {log}")
    for extra in (Path(workspace) / "paper" / "results.md", *sorted(log.parent.glob(f"{log.stem}*.png"))):
        if extra.is_file():
            lines.append(f"{'draft' if extra.suffix == '.md' else 'chart'}: {extra}")
    return lines
