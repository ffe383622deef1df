"""Questions answered from the evidence, without training: "what went wrong in iteration 1?", "why did DPO not
help?", "how many pairs did iteration 2 have?", "compare iteration 2 with SFT". The answer reads the run's
evaluation summaries, sample check, pairs report and the diagnosis of first errors; every number is a link to the
key it comes from, so the claim checker can verify the session log."""
from __future__ import annotations

import os
from pathlib import Path

from sokrates.io import read_json
from sokrates.loop import stage_name
from sokrates.metrics import format_rate, intervals_overlap

METRICS = ("accuracy", "step_validity", "trace_validity")


def stage_label(k: int) -> str:
    return "SFT" if k == 0 else f"DPO iteration {k}"



def evaluated(run_dir: Path) -> list[int]:
    """The iterations of a run that have an evaluation summary (0 = SFT), in order."""
    return [k for k in range(0, 50) if (run_dir / stage_name(k) / "eval" / "summary.json").is_file()]


def answer(question: str, run_dir: Path, iteration: int | None, other: int | None, log_dir: Path) -> list[str]:
    """Lines of an answer (Markdown, numbers linked relative to `log_dir`); the iteration asked about defaults to
    the last evaluated one, compared with the one before it (or with `other`)."""
    done = evaluated(run_dir)
    if not done:
        return [f"Nothing is evaluated in {run_dir.name} yet: there is no evidence to answer from. Run the loop first."]
    k = iteration if iteration in done else done[-1]
    base = other if other in done and other != k else max([e for e in done if e < k], default=None)
    link = _linker(log_dir)
    lines = []
    summary_path = run_dir / stage_name(k) / "eval" / "summary.json"
    summary = read_json(summary_path)
    if base is not None:
        before_path = run_dir / stage_name(base) / "eval" / "summary.json"
        before = read_json(before_path)
        for m in METRICS:
            same = intervals_overlap(before[m], summary[m])
            lines.append(f"{m.replace('_', ' ')}: {format_rate(before[m], link(before_path, m))} ({stage_label(base)}) → "
                         f"{format_rate(summary[m], link(summary_path, m))} ({stage_label(k)})"
                         + ("; the 95% intervals overlap: no measurable change" if same else
                            "; the 95% intervals do not overlap"))
    else:
        lines += [f"{m.replace('_', ' ')} after {stage_label(k)}: {format_rate(summary[m], link(summary_path, m))}"
                  for m in METRICS]
    lines += _pairs(run_dir, k, link) + _check(run_dir, k, link) + _first_errors(summary, summary_path, k, link)
    q = question.lower()
    if "pair" in q:  # the figure asked for first
        lines.sort(key=lambda line: "pairs" not in line)
    return lines


def _linker(log_dir: Path):
    def link(path: Path, metric: str | None = None):
        rel = os.path.relpath(Path(path).resolve(), Path(log_dir).resolve())
        if metric is None:
            return lambda key, text: f"[{text}]({rel}#{key})"
        return lambda field, text: f"[{text}]({rel}#{metric}.{field})"
    return link


def _pairs(run_dir: Path, k: int, link) -> list[str]:
    path = run_dir / stage_name(k) / "pairs.json"
    if k == 0 or not path.is_file():
        return []
    p = read_json(path)
    ln = link(path)
    from sokrates.loop import Run
    enough, why = Run.open(run_dir.parent.parent, run_dir.name, log=lambda m: None).pairs_verdict(p)
    return [f"DPO iteration {k} trained on {ln('pairs', p['pairs'])} pairs from {ln('problems_with_pairs', p['problems_with_pairs'])}"
            f" of {ln('problems', p['problems'])} problems: " + ("enough to move the model by the pairs rule" if enough
                                                                  else f"too few to move the model ({why})")]


def _check(run_dir: Path, k: int, link) -> list[str]:
    path = run_dir / stage_name(k) / "check.json"
    if k == 0 or not path.is_file():
        return []
    c = read_json(path)
    reasons = "; ".join(c.get("reasons") or []) or "no warning"
    return [f"the sample check before DPO iteration {k} said {c['verdict'].upper()} ({reasons}); its samples' step "
            f"validity was {format_rate(c['step_validity'], link(path, 'step_validity'))}"]


def _first_errors(summary: dict, path: Path, k: int, link) -> list[str]:
    d = summary.get("diagnosis")
    if not d:
        return []
    from sokrates.causes import ranked_causes
    top = ranked_causes(d)[:3]
    if not top:
        return []
    ln = link(path)
    causes = ", ".join(f"{cause} ({ln(f'diagnosis.first_error_causes.{cause}', n)})" for cause, n in top)
    return [f"what goes wrong first in {stage_label(k)}'s traces: {causes}; local step validity "
            f"{format_rate(d['local_step_validity'], link(path, 'diagnosis.local_step_validity'))}"]
