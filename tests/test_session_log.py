"""Session logs: live after the first gate, complete at the end, one coherent file across a resume,
no secrets, figures linked to the metrics files."""
import json
import re
from pathlib import Path

from agent.conclusions import next_steps
from agent.session_log import SessionLog, redact
from tests.conftest import LOOP_DECISIONS, TINY, agent


def _log(ws: Path) -> str:
    logs = sorted((ws / "sessions").glob("*.md"))
    return logs[-1].read_text()


def test_log_is_live_at_the_first_gate_and_complete_after_the_session(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    paused = agent(ws, "start", "run iteration 1", "--config", str(TINY),
                   env={"OPENAI_API_KEY": "sk-live-secret-0123456789", "HF_TOKEN": "hf_plantedtoken987"})
    assert paused.returncode == 3
    mid = _log(ws)
    assert mid.startswith("# Session: run iteration 1") and "## Timeline" in mid
    assert "plan (rules): data → sft → eval (iteration 0) → paper → claims → sample (iteration 1)" in mid and "waiting at the plan gate" in mid
    assert "## Decisions" in mid and "- (none)" in mid  # nothing decided yet
    session = paused.stdout.split("session ", 1)[1].split()[0]
    (tmp_path / "d.json").write_text(LOOP_DECISIONS)
    done = agent(ws, "resume", session, "--choice", "approve", "--yes", "--decisions", str(tmp_path / "d.json"),
                 env={"OPENAI_API_KEY": "sk-live-secret-0123456789", "HF_TOKEN": "hf_plantedtoken987"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    logs = list((ws / "sessions").glob("*.md"))
    assert len(logs) == 1
    text = logs[0].read_text()
    for section in ("## Timeline", "## What worked", "## What didn't", "## Issues found", "## Decisions",
                    "## Trade-offs", "## Files changed", "## Next steps"):
        assert section in text, section
    assert "session resumed" in text
    summary = json.loads((ws / "runs" / "run1" / "sft" / "eval" / "summary.json").read_text())
    acc = summary["accuracy"]
    src = "../runs/run1/sft/eval/summary.json"
    assert (f"accuracy [{acc['value']:.3f}]({src}#accuracy.value) [[{acc['ci95_low']:.3f}]({src}#accuracy.ci95_low), "
            f"[{acc['ci95_high']:.3f}]({src}#accuracy.ci95_high)] ([{acc['k']}]({src}#accuracy.k)/[{acc['n']}]({src}#accuracy.n))") in text
    assert f"[summary.json]({src})" in text
    assert "reproduce: `sokrates eval -w . --run-id run1 --iteration 0`" in text
    assert "**sample** (" in text and "chose **proceed** (file)" in text and "chose **approve** (human (--choice))" in text
    assert "```" in text  # example traces from the sample check
    assert re.search(r"!\[[^\]]+-metrics\.png\]", text) and list((ws / "sessions").glob("*-metrics.png"))
    assert "sk-live-secret" not in text and "hf_plantedtoken" not in text and str(ws) not in text
    # the log's figures are checked like a paper: every linked number verifies against the metrics files
    from agent.claims import check_paths
    report = check_paths([logs[0]], ws / "runs", tmp_path / "claims-state.json")
    linked = [c for c, rule in zip(report["claims"], report["rules"]) if rule.startswith("explicit provenance")]
    assert linked and all(c["status"] == "verified" for c in linked) and report["summary"]["mismatch"] == 0


def test_two_sessions_with_one_goal_write_two_files(tmp_path):
    a = SessionLog.create(tmp_path, "s1", "check the paper")
    b = SessionLog.create(tmp_path, "s2", "check the paper")
    assert a.path != b.path and a.path.is_file() and b.path.is_file()
    again = SessionLog.create(tmp_path, "s1", "check the paper")  # a resumed session keeps its file
    assert again.path == a.path


def test_each_update_keeps_earlier_content(tmp_path):
    log = SessionLog.create(tmp_path, "s1", "run iteration 1")
    log.note("tradeoff", "cut the test set to 100 problems")
    log.warning("first warning")
    log = SessionLog.open(tmp_path, "s1")
    log.note("issue", "second issue")
    text = log.path.read_text()
    assert "cut the test set to 100 problems" in text.split("## Trade-offs")[1]
    assert "first warning" in text and "second issue" in text
    assert not list(log.path.parent.glob(".*.tmp"))


def test_a_step_finished_before_a_kill_is_logged_once_and_noted_as_kept_after_the_resume(tmp_path):
    """Killed after a step finished and before the graph saved that, a resumed session reaches the step again (the
    pipeline skips it by its manifest): the log says so instead of a second "done" line. The same step at another
    place of the plan (paper after each evaluation) and after a new plan is logged as done again."""
    log = SessionLog.create(tmp_path, "s1", "run iteration 1")
    log.planned("run1", [{"step": "data"}, {"step": "paper"}, {"step": "paper"}], [], "rules")
    log.step_done({"step": "data"}, {}, 1.0, at=0)
    log = SessionLog.open(tmp_path, "s1")  # the resumed process
    log.step_done({"step": "data"}, {}, 0.1, at=0)
    log.step_done({"step": "paper"}, {}, 0.1, at=1)
    log.step_done({"step": "paper"}, {}, 0.1, at=2)
    text = log.path.read_text()
    assert text.count("**data** done in") == 1 and "data had finished before the interruption" in text
    assert text.count("**paper** done in") == 2
    log.planned("run1", [{"step": "data"}], [], "rules")  # a new plan (another goal, or a reading chosen)
    log.step_done({"step": "data"}, {}, 0.1, at=0)
    assert log.path.read_text().count("**data** done in") == 2


def test_redaction_of_keys_tokens_and_home(monkeypatch, tmp_path):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-abcdef123")
    text = ("url http://user:pw@host/v1?api_key=zzz123 key sk-abcdefghijkl token tok-abcdef123 "
            f"home {Path.home()}/x ws {tmp_path}/runs/a")
    out = redact(text, tmp_path)
    for secret in ("user:pw", "zzz123", "sk-abcdefghijkl", "tok-abcdef123", str(tmp_path)):
        assert secret not in out
    assert "runs/a" in out


def test_context_brief_names_symptoms_locations_and_figures(finished_workspace):
    out = agent(finished_workspace, "context")
    assert out.returncode == 0
    for part in ("## Symptoms", "## Code locations", "## What was tried", "## Relevant figures", "sample check"):
        assert part in out.stdout
    assert agent(finished_workspace, "log", "--raw").stdout.startswith("# Session:")


def test_next_steps_name_overridden_recommendations_and_a_dpo_without_gain(tmp_path):
    from agent.session_log import SessionLog
    from sokrates.loop import LoopConfig, Run
    Run(tmp_path, LoopConfig(run_id="run1")).save_config()
    log = SessionLog.create(tmp_path, "s1", "run iteration 1")
    log.record["run"] = "run1"
    state = {"decisions": [
        {"gate": "plan", "recommended": "approve", "choice": "approve", "who": "--yes", "question": "Run?"},
        {"gate": "pairs", "recommended": "resample", "choice": "proceed", "who": "file", "question": "36 pairs. Train?"}],
        "results": {"eval:0": {}, "eval:1": {}, "compare:1": {"comparison": {"step_validity": {
            "before": 0.004, "after": 0.008, "change": 0.004, "intervals_overlap": True}}}}}
    steps = next_steps(log, "done", state)
    assert any("pairs gate recommended resample because there were too few DPO pairs" in s and "(file)" in s for s in steps)
    assert any("did not measurably rise in iteration 1" in s for s in steps)
    assert not any("run iteration 2" in s for s in steps)  # more of the same is not suggested
    state["results"]["pairs:1"] = {"pairs": 768, "problems": 1000, "problems_with_pairs": 522}  # plenty of pairs
    steps = next_steps(log, "done", state)
    assert any("the pairs are not the limit" in s for s in steps) and not any("so few" in s for s in steps)
    state["results"]["pairs:1"] = {"pairs": 200, "problems": 1000, "problems_with_pairs": 150}  # 25 DPO steps: the
    assert any("the pairs are not the limit" in s for s in next_steps(log, "done", state))    # pairs gate's rule
    state["results"]["pairs:1"] = {"pairs": 60, "problems": 1000, "problems_with_pairs": 300}   # 8 steps: too few
    assert not any("the pairs are not the limit" in s for s in next_steps(log, "done", state))
    state["results"]["compare:1"]["comparison"]["step_validity"].update(change=0.2, intervals_overlap=False)
    assert any('start "run iteration 2"' in s for s in next_steps(log, "done", state))
    state["decisions"].append({"gate": "eval", "iteration": 0, "recommended": "stop", "choice": "stop", "who": "--yes",
                               "question": "at chance"})
    assert any("stayed at chance after retraining" in s for s in next_steps(log, "stopped", state))


def test_event_records_hold_no_secret_an_error_echoes(tmp_path, monkeypatch):
    from agent.session_log import SessionLog
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-secret-0123456789")
    log = SessionLog.create(tmp_path, "s1", "run iteration 1")
    log.warning("LLM call failed: 401 Unauthorized, header Authorization: Bearer sk-live-secret-0123456789 "
                "at http://user:hunter22@host/v1?token=abcdef123")
    raw = next((tmp_path / "sessions" / ".events").glob("*.json")).read_text()
    assert "sk-live-secret" not in raw and "hunter22" not in raw and "abcdef123" not in raw
    assert "401 Unauthorized" in raw  # the rest of the message is kept


def test_paths_from_records_and_arguments_stay_inside_the_workspace(tmp_path):
    import pytest as _pytest

    from agent.session_log import SessionLog
    from sokrates.io import DataError
    ws = tmp_path / "ws"
    SessionLog.create(ws, "s1", "run iteration 1")
    (tmp_path / "outside.json").write_text(json.dumps({"file": "x.md", "events": []}))
    for bad in ("../../outside", "../outside", "/etc/passwd", ""):
        with _pytest.raises(DataError):
            SessionLog.open(ws, bad)
    record = ws / "sessions" / ".events" / "s1.json"
    data = json.loads(record.read_text())
    data["file"] = "../../X.md"
    record.write_text(json.dumps(data))
    with _pytest.raises(DataError, match="not a file name in sessions/"):
        SessionLog.open(ws, "s1").note("decision", "anything")
    assert not (tmp_path / "X.md").exists() and not (ws.parent / "X.md").exists()
