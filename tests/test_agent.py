"""The real graph on the embedded default at tiny sizes: --yes sessions, pausing and resuming,
a SIGKILL mid-step, the LLM path over HTTP, status, graph and the checkpoint database."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import HTTPServer
from pathlib import Path

import pytest

from agent.graph import db_path, mermaid, version
from agent.session import Answerer, Session
from agent.llm import LLMSettings

from tests.conftest import LOOP_DECISIONS, TINY, FakeLLM as _FakeLLM, JSONHandler as _JSONHandler, agent


def _values(ws: Path, session: str) -> dict:
    return Session(ws, out=lambda *a: None).app.get_state({"configurable": {"thread_id": session}}).values


def _session_id(stdout: str) -> str:
    return stdout.split("session ", 1)[1].split()[0]


def test_yes_session_runs_the_loop_end_to_end(finished_workspace):
    ws = finished_workspace
    run = ws / "runs" / "run1"
    for f in ["data/train.jsonl", "sft/model/config.json", "sft/eval/summary.json", "dpo_iter1/samples.jsonl",
              "dpo_iter1/check.json", "dpo_iter1/pairs.jsonl", "dpo_iter1/model/config.json", "dpo_iter1/eval/summary.json"]:
        assert (run / f).exists(), f
    session = _session_id((ws / "stdout.txt").read_text())
    v = _values(ws, session)
    assert v["status"] == "done" and v["cursor"] == len(v["plan"])
    gates = {d["gate"]: d for d in v["decisions"]}
    assert gates["sample"]["who"] == "file" and gates["plan"]["who"] == "--yes"
    # the tiny model is at chance and gives few pairs: the agent recommends retraining and resampling (the
    # decisions file overrides both so the loop runs on)
    first_eval = next(d for d in v["decisions"] if d["gate"] == "eval")
    assert first_eval["iteration"] == 0 and first_eval["recommended"] == "retrain" and first_eval["choice"] == "continue"
    assert gates["pairs"]["recommended"] == "resample" and gates["pairs"]["choice"] == "proceed"
    assert all(d["at"] for d in v["decisions"])
    assert json.loads((run / "dpo_iter1" / "pairs.json").read_text())["pairs"] >= 1
    assert (ws / "paper" / "results.md").is_file() and v["results"]["claims:"]["mismatch"] == 0
    # state holds only JSON values
    json.dumps(v)


def test_pure_yes_takes_the_recommendation_and_stops_at_a_failed_check(workspace_copy):
    out = agent(workspace_copy, "start", "run iteration 2", "--yes")
    assert out.returncode == 1, out.stdout[-2000:]
    assert "verdict FAIL" in out.stdout and "→ abort by --yes" in out.stdout
    assert not (workspace_copy / "runs" / "run1" / "dpo_iter2" / "model").exists()


def test_paused_without_terminal_then_resumed_with_a_choice(workspace_copy):
    ws = workspace_copy
    out = agent(ws, "start", "evaluate iteration 1")
    assert out.returncode == 3 and "sokrates-agent resume" in out.stdout and "--choice approve" in out.stdout
    printed = next(line for line in out.stdout.splitlines() if "sokrates-agent resume" in line).split()
    assert printed[printed.index("-w") + 1] == str(ws.resolve())  # runnable from any folder
    elsewhere = ws.parent / "elsewhere"
    elsewhere.mkdir()
    lost = subprocess.run([sys.executable, "-c", "from agent.cli import main; main()", "resume", _session_id(out.stdout)],
                          cwd=elsewhere, capture_output=True, text=True)
    assert lost.returncode == 2 and "-w" in lost.stderr and not (elsewhere / ".sokrates").exists()
    session = _session_id(out.stdout)
    status = agent(ws, "status", "--json")
    row = next(r for r in json.loads(status.stdout) if r["session"] == session)
    assert row["status"] == "paused" and row["question"].startswith("Run this plan")
    eval_file = ws / "runs" / "run1" / "dpo_iter1" / "eval" / "summary.json"
    before = eval_file.stat().st_mtime_ns
    resumed = agent(ws, "resume", session, "--choice", "approve")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert eval_file.stat().st_mtime_ns == before  # finished evaluation skipped through its manifest
    v = _values(ws, session)
    assert v["status"] == "done" and v["decisions"][0]["who"] == "human (--choice)"
    assert agent(ws, "resume", session).returncode == 0  # a finished session says so


def test_killed_mid_step_resumes_without_rerunning_finished_steps(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    cfg = tmp_path / "slow.yaml"
    cfg.write_text(TINY.read_text().replace("sft: {epochs: 1,", "sft: {epochs: 60,"))
    (tmp_path / "d.json").write_text(LOOP_DECISIONS)
    cmd = [sys.executable, "-c", "from agent.cli import main; main()", "start", "run iteration 1", "--yes",
           "--decisions", str(tmp_path / "d.json"), "--config", str(cfg), "-w", str(ws)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    metrics = ws / "runs" / "run1" / "sft" / "metrics.jsonl"
    deadline = time.time() + 300
    while not metrics.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert metrics.exists(), "SFT never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    data_manifest = ws / "runs" / "run1" / "data" / "data.manifest.json"
    init_manifest = ws / "runs" / "run1" / "base_model" / "init.manifest.json"
    stamps = (data_manifest.stat().st_mtime_ns, init_manifest.stat().st_mtime_ns)
    assert not (ws / "runs" / "run1" / "sft" / "sft.manifest.json").exists()
    session = next((ws / "sessions" / ".events").glob("*.json")).stem
    status = json.loads(agent(ws, "status", "--json").stdout)
    assert status[0]["status"] == "interrupted" and "sft" in status[0]["next"]
    out = agent(ws, "resume", session, "--yes", "--decisions", str(tmp_path / "d.json"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert (data_manifest.stat().st_mtime_ns, init_manifest.stat().st_mtime_ns) == stamps
    assert (ws / "runs" / "run1" / "dpo_iter1" / "eval" / "summary.json").is_file()
    logs = [p for p in (ws / "sessions").glob("*.md")]
    assert len(logs) == 1 and "resumed" in logs[0].read_text()
    with sqlite3.connect(db_path(ws)) as conn:  # old checkpoints are pruned
        assert conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0] <= 3


def test_llm_plans_through_the_openai_client_and_invalid_answers_fall_back(workspace_copy, llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-secret-key-123456")
    ws = workspace_copy
    settings = LLMSettings(base_url=llm_server, model="fake")
    _FakeLLM.answers = ['Sure! {"action": "check_paper", "iteration": null}']
    session, code = Session(ws, out=lambda *a: None).start("what do the numbers in the draft say?",
                                                           Answerer(yes=True), settings)
    assert code == 0 and _FakeLLM.requests[0]["model"] == "fake"
    v = _values(ws, session)
    assert v["plan_source"] == "llm" and [s["step"] for s in v["plan"]] == ["claims"]
    assert "sk-planted" not in json.dumps(v)

    _FakeLLM.answers = ['{"action": "launch_rockets"}']
    session, code = Session(ws, out=lambda *a: None).start("check the paper", Answerer(yes=True), settings)
    v = _values(ws, session)
    assert code == 0 and v["plan_source"] == "rules" and [s["step"] for s in v["plan"]] == ["claims"]
    log = next(p for p in (ws / "sessions").glob("*.md") if "check-the-paper" in p.name).read_text()
    assert "falling back to the rules" in log and "sk-planted" not in log


def test_graph_prints_as_mermaid_and_has_a_version():
    text = mermaid()
    for node in ("plan", "gate_plan", "sft", "sample", "check", "pairs", "dpo", "eval", "compare", "paper", "claims"):
        assert node in text
    assert len(version()) == 12


def test_stale_graph_version_is_refused(workspace_copy):
    ws = workspace_copy
    out = agent(ws, "start", "check the paper")
    session = _session_id(out.stdout)
    s = Session(ws, out=lambda *a: None)
    s.app.update_state({"configurable": {"thread_id": session}}, {"graph_version": "old"}, as_node="plan")
    res = agent(ws, "resume", session, "--yes")
    assert res.returncode == 2 and "another version of the agent's graph" in res.stderr


def test_a_goal_the_rules_cannot_read_creates_no_session(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    out = agent(ws, "start", "make me a sandwich")
    assert out.returncode == 2 and "cannot understand the goal" in out.stderr and "run iteration 2" in out.stderr
    assert not (ws / "sessions").exists() and not (ws / ".sokrates").exists()


def test_ctrl_c_says_what_was_interrupted_and_how_to_resume(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    cfg = tmp_path / "slow.yaml"
    cfg.write_text(TINY.read_text().replace("sft: {epochs: 1,", "sft: {epochs: 60,"))
    proc = subprocess.Popen([sys.executable, "-c", "from agent.cli import main; main()", "start", "run iteration 1",
                             "--yes", "--config", str(cfg), "-w", str(ws)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                            # a shell without job control starts background jobs with SIGINT ignored: undo that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    metrics = ws / "runs" / "run1" / "sft" / "metrics.jsonl"
    deadline = time.time() + 300
    while not metrics.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert metrics.exists(), "SFT never started"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-2000:]
    assert "interrupted at sft: finished steps are kept" in out and f"-w {ws.resolve()}" in out
    log = next((ws / "sessions").glob("*.md")).read_text()
    assert "interrupted by the user (Ctrl-C) at sft" in log


def test_yes_alone_retrains_a_model_at_chance_once_then_stops(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    out = agent(ws, "start", "run iteration 1", "--yes", "--config", str(TINY))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    v = _values(ws, _session_id(out.stdout))
    assert v["status"] == "stopped"
    assert [(d["gate"], d["choice"]) for d in v["decisions"]] == [("plan", "approve"), ("eval", "retrain"), ("eval", "stop")]
    assert "sft.manifest.json" in {p.name for p in (ws / "runs" / "run1" / "sft").iterdir()}
    import yaml
    assert yaml.safe_load((ws / "runs" / "run1" / "config.yaml").read_text())["sft"]["epochs"] == 2  # 1, doubled once
    assert not (ws / "runs" / "run1" / "dpo_iter1").exists()  # no sampling or DPO from a model at chance
    log = next((ws / "sessions").glob("*.md")).read_text()
    assert "stayed at chance after retraining" in log


def test_credentials_in_the_llm_address_never_reach_the_checkpoint_database(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    url = "http://alice:s3cretpw@127.0.0.1:9/v1?token=t0kenvalue"  # nothing listens: the rules take over
    session, _ = Session(ws, out=lambda *a: None).start("check the paper", Answerer(yes=True), LLMSettings(url, "m"))
    stored = b"".join(p.read_bytes() for p in ws.rglob("*") if p.is_file())
    assert b"s3cretpw" not in stored and b"t0kenvalue" not in stored
    assert _values(ws, session)["llm"]["base_url"] == "http://***@127.0.0.1:9/v1?token=***"


def test_a_damaged_session_database_is_one_clear_error_and_stays_as_it_was(tmp_path):
    db = db_path(tmp_path)
    db.parent.mkdir(parents=True)
    db.write_bytes(b"not a database at all")
    for args in (("status",), ("start", "check the paper", "--yes")):
        out = agent(tmp_path, *args)
        assert out.returncode == 2 and "session database is damaged" in out.stderr and str(db) in out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == b"not a database at all"


def test_a_question_is_answered_from_the_evidence_with_checkable_numbers(workspace_copy):
    out = agent(workspace_copy, "start", "what went wrong in iteration 1?", "--yes")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "▶ sft" not in out.stdout and "▶ sample" not in out.stdout  # nothing is trained
    assert "(SFT) →" in out.stdout and "(DPO iteration 1)" in out.stdout and "DPO iteration 1 trained on" in out.stdout
    log = max((workspace_copy / "sessions").glob("*what-went-wrong*.md"), key=lambda p: p.stat().st_mtime)
    from agent.claims import check_paths
    report = check_paths([log], workspace_copy / "runs", workspace_copy / "claims-state.json")
    linked = [c for c, rule in zip(report["claims"], report["rules"]) if rule.startswith("explicit provenance")]
    assert any("pairs.json" in c["source"] for c in linked) and all(c["status"] == "verified" for c in linked)
    assert report["summary"]["mismatch"] == 0, [(c["context"], c["source"], c["expected"], r) for c, r in zip(report["claims"], report["rules"])
                                                if c["status"] == "mismatch"]


def test_a_paused_session_can_be_abandoned_and_leaves_its_log(tmp_path):
    out = agent(tmp_path, "start", "check the paper")  # no terminal, no --yes: pauses at the plan gate
    session = _session_id(out.stdout)
    assert out.returncode == 3 and any(r["session"] == session for r in json.loads(agent(tmp_path, "status", "--json").stdout))
    gone = agent(tmp_path, "abandon", session)
    assert gone.returncode == 0 and "abandoned" in gone.stdout
    assert not any(r["session"] == session for r in json.loads(agent(tmp_path, "status", "--json").stdout))
    assert "abandoned by the user" in next((tmp_path / "sessions").glob("*.md")).read_text()
    assert agent(tmp_path, "abandon", session).returncode == 2  # no such session any more
    everything = json.loads(agent(tmp_path, "status", "--json", "--all").stdout)
    assert [(r["session"], r["status"]) for r in everything] == [(session, "abandoned")]
    shown = agent(tmp_path, "log", "--raw")  # no session named: the latest, and it says which one it shows
    assert shown.returncode == 0 and f"(session {session}, the latest of 1;" in shown.stderr and "check the paper" in shown.stdout


class _Refusing(_JSONHandler):
    """An endpoint that answers 401 and echoes the Authorization header (as some proxies do), or never answers."""
    slow = False

    def do_POST(self):
        if type(self).slow:
            time.sleep(5)
        self.reply(401, {"error": {"message": f"invalid key {self.headers.get('Authorization')}"}})


@pytest.mark.parametrize("slow", [False, True])
def test_an_llm_that_refuses_or_hangs_leaves_the_rules_in_charge_and_no_key_anywhere(tmp_path, monkeypatch, slow):
    import agent.llm
    monkeypatch.setenv("OPENAI_API_KEY", "sk-echoed-secret-987654")
    monkeypatch.setattr(agent.llm, "TIMEOUT_S", 1.0)
    _Refusing.slow = slow
    server = HTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.time()
        session, code = Session(tmp_path, out=lambda *a: None).start(
            "check the paper", Answerer(yes=True), LLMSettings(f"http://127.0.0.1:{server.server_port}/v1", "m"))
    finally:
        server.shutdown()
    assert code == 0 and _values(tmp_path, session)["plan_source"] == "rules"
    assert time.time() - started < 30  # a hung endpoint costs its time-out, not the session
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"sk-echoed-secret-987654" not in stored
    assert b"LLM call failed" in stored  # the fallback is recorded


def test_an_ambiguous_goal_asks_at_the_plan_gate_and_runs_the_reading_chosen(workspace_copy, tmp_path):
    (tmp_path / "d.json").write_text(json.dumps({"plan": "evaluate_sft", "eval": "stop"}))  # (the tiny model is at chance)
    out = agent(workspace_copy, "start", "evaluate", "--decisions", str(tmp_path / "d.json"), "--yes")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    v = _values(workspace_copy, _session_id(out.stdout))
    plan_decision = v["decisions"][0]
    assert plan_decision["options"] == ["evaluate_latest", "evaluate_sft", "abort"]
    assert plan_decision["choice"] == "evaluate_sft" and plan_decision["recommended"] == "evaluate_latest"
    assert [s.get("iteration") for s in v["plan"] if s["step"] == "eval"] == [0]  # the SFT model, not the latest
    assert [(d["gate"], d["choice"]) for d in v["decisions"]] == [("plan", "evaluate_sft"), ("eval", "stop")]
    log = max((workspace_copy / "sessions").glob("*.md"), key=lambda p: p.stat().st_mtime).read_text()
    assert "can mean more than one thing" in log and "evaluate_sft" in log
