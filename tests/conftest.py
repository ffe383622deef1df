import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
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


class JSONHandler(BaseHTTPRequestHandler):
    """A quiet HTTP handler that answers with JSON."""

    def reply(self, code: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class FakeLLM(JSONHandler):
    """A minimal OpenAI-compatible chat server: `answers` is a queue of replies, or a function of the request's
    prompt; `delay` seconds before each answer (a hung endpoint)."""
    answers: list[str] | object = []
    requests: list[dict] = []
    delay = 0.0

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        cls.requests.append(body)
        time.sleep(cls.delay)
        if callable(cls.answers):
            content = cls.answers(body["messages"][-1]["content"])
        else:
            content = cls.answers.pop(0) if cls.answers else "{}"
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        self.reply(200, payload)


@pytest.fixture
def llm_server():
    """The base URL of a FakeLLM served on a free local port for the test."""
    server = HTTPServer(("127.0.0.1", 0), FakeLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeLLM.answers, FakeLLM.requests, FakeLLM.delay = [], [], 0.0
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
