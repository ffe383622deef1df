"""`sokrates-agent context`: a debugging brief from a session's record (lesson 8): symptoms, code
locations, what was tried, and the figures that matter, ready to paste to a colleague or an LLM."""
from __future__ import annotations

from pathlib import Path

from .session_log import SessionLog, redact


def brief(workspace: Path, session: str) -> str:
    log = SessionLog.open(Path(workspace), session)
    r = log.record
    ev = r["events"]
    failures = [e["text"] for e in ev if e["kind"] == "failure"]
    issues = [e["text"] for e in ev if e["kind"] in ("issue", "warning")]
    tried = [f"{e['gate']}: {e['choice']} ({e['who']})" for e in ev if e["kind"] == "decision"]
    figures = [f"{e['step']}" + (f" {e['iteration']}" if e.get("iteration") is not None else "") + ": " +
               "; ".join(f"{k} {v}" for k, v in e["figures"].items()) for e in ev if e["kind"] == "step" and e["figures"]]
    files = sorted({p for e in ev if e["kind"] == "step" for p in e["links"]})
    lines = [f"# Debugging brief: {r['goal']}", "",
             f"Session {r['session']} on run {r.get('run')} (model: {r.get('model')}), started {r['started']}, "
             f"git {r.get('git_commit')}{' dirty' if r.get('git_dirty') else ''}. Full log: sessions/{r['file']}", "",
             "## Symptoms", *(f"- {x}" for x in failures + issues or ["- no failure or warning recorded"]), "",
             "## Code locations", *(f"- {x.split(' at ')[-1]}" for x in failures or ["(no failure)"]), "",
             "## What was tried", *(f"- {x}" for x in tried or ["nothing yet"]), "",
             "## Relevant figures", *(f"- {x}" for x in figures or ["none yet"]), "",
             "## Files", *(f"- {x}" for x in files or ["none"])]
    return redact("\n".join(lines), Path(workspace))
