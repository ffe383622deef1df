"""The agent's judgment on planted files: too few pairs are never recommended as "proceed" (resample twice,
retrain once, then stop), and an SFT model at chance is retrained once, then the session stops."""
import json

import yaml

from agent import gates
from sokrates.loop import LoopConfig
from sokrates.metrics import at_chance, rate, summarize

from tests.test_causes import PROBLEM, trace_record


def _run_dir(tmp_path, pairs: int, with_pairs: int, problems: int = 1000):
    run = tmp_path / "runs" / "run1"
    (run / "dpo_iter1").mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(LoopConfig().to_dict()))  # dpo: batch 16, 2 epochs
    (run / "dpo_iter1" / "pairs.json").write_text(json.dumps({
        "pairs": pairs, "problems": problems, "problems_with_pairs": with_pairs, "problems_without_valid_sample": problems - with_pairs,
        "problems_without_invalid_sample": 0, "chosen_gold_true_share": 0.5, "gold_chosen": 0}))
    return run


def _decided(gate: str, iteration, *choices) -> dict:
    return {"decisions": [{"gate": gate, "iteration": iteration, "choice": c} for c in choices], "plan": [], "cursor": 0}


def test_enough_pairs_are_recommended_as_proceed(tmp_path):
    q = gates.question("pairs", _decided("pairs", 1), _run_dir(tmp_path, 400, 300), {"iteration": 1})
    assert q["recommended"] == "proceed" and "50 DPO optimizer steps" in q["evidence"]["rule"]


def test_too_few_pairs_resample_twice_then_retrain_then_stop(tmp_path):
    run = _run_dir(tmp_path, 34, 17)  # the demo's first iteration: 3 batches x 2 epochs
    expected = [((), "resample"), (("resample",), "resample"), (("resample", "resample"), "retrain"),
                (("resample", "resample", "retrain"), "abort")]
    for before, recommended in expected:
        q = gates.question("pairs", _decided("pairs", 1, *before), run, {"iteration": 1})
        assert q["recommended"] == recommended, before
        assert any("too few to move the model" in w for w in q["warnings"])
    # another iteration's retries do not count
    assert gates.question("pairs", _decided("pairs", 2, "resample", "resample"), run, {"iteration": 1})["recommended"] == "resample"


def test_pairs_from_few_problems_are_too_few_even_when_many(tmp_path):
    q = gates.question("pairs", _decided("pairs", 1), _run_dir(tmp_path, 600, 30), {"iteration": 1})
    assert q["recommended"] == "resample"  # 3% of the problems


def _sft_eval(tmp_path, texts: list[str]):
    run = tmp_path / "runs" / "run1"
    (run / "sft" / "eval").mkdir(parents=True)
    summary = {"stage": "sft", **summarize([trace_record(PROBLEM, k, t) for k, t in enumerate(texts)])}
    (run / "sft" / "eval" / "summary.json").write_text(json.dumps(summary))
    return run, summary


def test_at_chance_is_the_majority_label_inside_the_accuracy_interval():
    assert at_chance({"accuracy": rate(150, 300), "majority_label_share": rate(150, 300)})
    assert at_chance({"accuracy": rate(165, 300), "majority_label_share": rate(150, 300)})
    assert not at_chance({"accuracy": rate(240, 300), "majority_label_share": rate(150, 300)})


def test_sft_at_chance_is_retrained_once_then_the_session_stops(tmp_path):
    wrong = PROBLEM.target().replace("answer is True", "answer is False").replace('args="[0]"', 'args="[1]"')
    run, summary = _sft_eval(tmp_path, [wrong] * 20)
    assert at_chance(summary)
    detail = {"iteration": 0, "at_chance": True}
    state = {**_decided("eval", 0), "plan": [{"step": "paper"}]}
    q = gates.question("eval", state, run, detail)
    assert q["recommended"] == "retrain" and "at chance" in q["question"]
    assert "first_errors" in q["evidence"] and "wrong_answer" in q["evidence"]["first_errors"]
    state = {**_decided("eval", 0, "retrain"), "plan": [{"step": "paper"}]}
    assert gates.question("eval", state, run, detail)["recommended"] == "stop"
    (run / "config.yaml").write_text(yaml.safe_dump(LoopConfig(sft_checkpoint="tiny-sft").to_dict()))
    q = gates.question("eval", {**_decided("eval", 0), "plan": [{"step": "paper"}]}, run, detail)
    assert "retrain" not in q["options"] and q["recommended"] == "stop"  # a copied checkpoint: retraining changes nothing
    assert any("sft_checkpoint: null" in w for w in q["warnings"])


def test_a_later_eval_gate_offers_no_retrain(tmp_path):
    run, _ = _sft_eval(tmp_path, [PROBLEM.target()] * 20)
    q = gates.question("eval", {**_decided("eval", 0), "plan": []}, run, {"iteration": 0})
    assert "retrain" not in q["options"] and q["recommended"] == "stop"


def test_a_dpo_iteration_that_measurably_lowered_step_validity_leads_to_the_write_up_not_more_dpo(tmp_path):
    run, _ = _sft_eval(tmp_path, [PROBLEM.target()] * 20)
    (run / "dpo_iter1" / "eval").mkdir(parents=True)
    (run / "dpo_iter1" / "eval" / "summary.json").write_text((run / "sft" / "eval" / "summary.json").read_text())
    state = {**_decided("eval", 1), "plan": [{"step": "sample", "iteration": 2}]}

    def asked(change, overlap):
        sv = {"before": 0.711, "after": 0.711 + change, "change": change, "intervals_overlap": overlap}
        return gates.question("eval", state, run, {"iteration": 1, "comparison": {"step_validity": sv}})
    dropped = asked(-0.08, False)  # the demo's first DPO iteration: 0.711 -> 0.631
    assert dropped["recommended"] == "draft" and any("measurably worse" in w for w in dropped["warnings"])
    assert dropped["because"] == "DPO made step validity measurably worse"  # what the session log's next steps say
    assert asked(-0.02, True)["recommended"] == "continue"   # within the intervals: not a measured drop
    assert asked(0.05, False)["recommended"] == "continue"


def test_the_failure_gate_does_not_recommend_retrying_an_error_that_recurs(tmp_path):
    def rec(error, attempts=1, tried=()):
        detail = {"step": {"step": "sft"}, "error": error, "attempts": attempts, "tried": list(tried),
                  "diagnosis": "-", "location": "x"}
        return gates.question("failure", {"plan": [], "cursor": 0}, tmp_path, detail)["recommended"]
    empty = "ValueError: num_samples should be a positive integer value, but got num_samples=0"
    assert rec(empty) == "abort"  # the GPT-2 case: the same data fails the same way again
    from agent.diagnosis import diagnose
    assert "sft.max_length" in diagnose({"error": empty, "location": "x", "attempts": 1}, {})
    oom = "DataError: out of memory while training (batch size 64)"
    assert rec(oom) == "retry_with_changes" and rec(oom, 2, ["retry_with_changes"]) == "retry_with_changes"
    assert rec(oom, 3, ["retry_with_changes", "retry_with_changes"]) == "abort"
    assert rec("ConnectionError: reset by peer") == "retry" and rec("ConnectionError: reset", 2) == "abort"


def test_a_failing_step_reaches_the_failure_gate_with_its_location_and_no_secret(tmp_path, monkeypatch):
    from agent import nodes
    from agent.session_log import SessionLog
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-secret-0123456789")
    SessionLog.create(tmp_path, "s1", "run iteration 1")
    state = {"workspace": str(tmp_path), "session": "s1", "run_id": "run1", "plan": [{"step": "sft"}], "cursor": 0}

    def work(run, step):
        raise ValueError("401 from http://host/v1: key sk-live-secret-0123456789")
    out = nodes._execute(state, work)
    failure = out["failure"]
    assert failure["location"].startswith("agent/nodes.py:") and failure["attempts"] == 1  # innermost frame of ours
    assert "sk-live-secret" not in failure["error"] and "401" in failure["error"]
    q = gates.question("failure", state, tmp_path, {**failure, "diagnosis": "-"})
    assert q["recommended"] == "retry"
