import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"
# The tiny model cannot learn: these answers take the miniature session past the gates that (rightly) recommend
# retraining a model at chance and resampling too few pairs, so the whole loop runs.
LOOP_DECISIONS = '{"sample": "proceed", "eval": "continue", "pairs": "proceed"}'


def agent(workspace: Path, *args, env=None, timeout=600) -> subprocess.CompletedProcess:
    """Run the real `sokrates-agent` CLI in a subprocess (stdin is not a terminal)."""
    return subprocess.run([sys.executable, "-c", "from agent.cli import main; main()", *args, "-w", str(workspace)]
                          if args and args[0] not in ("graph", "check-paper") else
                          [sys.executable, "-c", "from agent.cli import main; main()", *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def finished_workspace(tmp_path_factory) -> Path:
    """A workspace where a tiny `run iteration 1` session ran to the end (built once for the suite)."""
    ws = tmp_path_factory.mktemp("finished")
    (ws / "decisions.json").write_text(LOOP_DECISIONS)
    out = agent(ws, "start", "run iteration 1", "--yes", "--decisions", str(ws / "decisions.json"), "--config", str(TINY))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (ws / "stdout.txt").write_text(out.stdout)
    return ws


@pytest.fixture
def workspace_copy(finished_workspace, tmp_path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(finished_workspace, dst)
    return dst
