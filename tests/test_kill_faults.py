"""kill -9 at every step boundary and at the start of every step of a miniature session, then resume, again and again
until it finishes: no finished step runs twice, the log has every step's line once, and the final metrics are those
of the same session run without interruption (the suite's `finished_workspace`)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import LOOP_DECISIONS, TINY, agent

METRICS = ("accuracy", "step_validity", "trace_validity")


def _progress(run: Path) -> set[str]:
    """What the session has reached: the steps that started (their log files) and finished (their manifests)."""
    return {p.relative_to(run).as_posix() for pattern in ("logs/*.log", "**/*.manifest.json") for p in run.glob(pattern)}


def _until_progress(cmd: list[str], run: Path, seen: set[str]) -> tuple[int | None, set[str]]:
    """Run the agent until it starts or finishes a step not in `seen`, then kill -9 it. (exit code or None, progress)"""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline:
        if _progress(run) - seen:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return None, _progress(run)
        time.sleep(0.02)
    assert proc.returncode is not None, "the session made no progress in 300 s"
    return proc.returncode, _progress(run)


def test_kill_9_at_every_step_boundary_then_resume_loses_and_repeats_nothing(tmp_path, finished_workspace):
    ws, decisions = tmp_path / "ws", tmp_path / "d.json"
    ws.mkdir()
    decisions.write_text(LOOP_DECISIONS)
    run = ws / "runs" / "run1"
    base = [sys.executable, "-c", "from agent.cli import main; main()"]
    cmd = base + ["start", "run iteration 1", "--yes", "--decisions", str(decisions), "--config", str(TINY), "-w", str(ws)]
    seen: set[str] = set()
    finished_at: dict[str, int] = {}  # manifest -> its mtime when first seen: a re-run step would rewrite it
    kills, code = 0, None
    while code is None:
        code, seen = _until_progress(cmd, run, seen)
        kills += code is None
        for m in (p for p in seen if p.endswith(".manifest.json")):
            finished_at.setdefault(m, (run / m).stat().st_mtime_ns)
        session = next((ws / "sessions" / ".events").glob("*.json")).stem
        cmd = base + ["resume", session, "--yes", "--decisions", str(decisions), "-w", str(ws)]
        assert kills < 60, "no end in sight"
    assert code == 0 and kills >= 10  # a kill at (about) each start and end of the session's steps

    assert {m: (run / m).stat().st_mtime_ns for m in finished_at} == finished_at  # no finished step ran again
    assert sorted(seen) == sorted(_progress(finished_workspace / "runs" / "run1"))  # the same steps, the same files
    for stage in ("sft", "dpo_iter1"):
        got, want = (json.loads((w / "runs" / "run1" / stage / "eval" / "summary.json").read_text())
                     for w in (ws, finished_workspace))
        assert {m: got[m] for m in METRICS} == {m: want[m] for m in METRICS}, stage
    log = next((ws / "sessions").glob("*.md")).read_text()
    reference = next((finished_workspace / "sessions").glob("*.md")).read_text()
    done = [line.split("**")[1] for line in reference.splitlines() if " done in " in line and "**" in line]
    assert done and all(log.count(f"**{label}** done in") == reference.count(f"**{label}** done in") for label in done)
    assert log.count("resumed: session resumed at") == kills  # every interruption is in the log
    status = json.loads(agent(ws, "status", "--json").stdout)
    assert status[0]["status"] == "done"
