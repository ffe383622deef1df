"""The session summary printed at the end: how it ended, what ran and how long each step took, the headline
figures from SFT to the last evaluated iteration with their intervals, pairs per iteration, and where the log,
the draft and the charts are."""
from __future__ import annotations

from pathlib import Path

from sokrates.io import read_json
from sokrates.metrics import format_rate

from .session_log import SessionLog


def session_summary(workspace: Path, session: str, values: dict, timings: list | None = None) -> list[str]:
    lines = [f"session {session}: {values.get('status')}" + (f" (run {values['run_id']})" if values.get("run_id") else "")]
    if timings:
        lines.append("steps: " + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timings))
    run_dir = Path(workspace) / "runs" / str(values.get("run_id"))
    evals = sorted((int(p.parent.parent.name.removeprefix("dpo_iter") or 0) if p.parent.parent.name != "sft" else 0, p)
                   for p in run_dir.glob("*/eval/summary.json"))
    if evals:
        first, last = read_json(evals[0][1]), read_json(evals[-1][1])
        stage = lambda k: "SFT" if k == 0 else f"DPO iteration {k}"  # noqa: E731
        for metric in ("accuracy", "step_validity", "trace_validity"):
            if metric in first:
                change = (f"{format_rate(first[metric])} ({stage(evals[0][0])}) -> {format_rate(last[metric])} "
                          f"({stage(evals[-1][0])})") if len(evals) > 1 else f"{format_rate(first[metric])} ({stage(evals[0][0])})"
                lines.append(f"{metric.replace('_', ' ')}: {change}")
    pairs = sorted(run_dir.glob("dpo_iter*/pairs.json"))
    if pairs:
        lines.append("pairs: " + ", ".join(f"{p.parent.name.removeprefix('dpo_iter')}: {read_json(p)['pairs']} from "
                                           f"{read_json(p)['problems_with_pairs']} problems" for p in pairs))
    log = SessionLog.open(Path(workspace), session).path
    lines.append(f"log: {log}")
    for extra in (Path(workspace) / "paper" / "results.md", *sorted(log.parent.glob(f"{log.stem}*.png"))):
        if extra.is_file():
            lines.append(f"{'draft' if extra.suffix == '.md' else 'chart'}: {extra}")
    return lines
