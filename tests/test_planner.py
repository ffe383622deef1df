"""Goals to plans from the workspace's real state (no training: the state is planted files)."""
import json

import pytest

from agent.planner import intent_from_rules, plan_goal
from sokrates.loop import LoopConfig, Run


def _workspace(tmp_path, evaluated: int):
    run = Run(tmp_path, LoopConfig(run_id="run1"), log=lambda m: None)
    run.save_config()
    for k in range(evaluated + 1):
        (run.model_of(k) / "config.json").parent.mkdir(parents=True, exist_ok=True)
        (run.model_of(k) / "config.json").write_text("{}")
        (run.model_of(k).parent / "eval").mkdir(parents=True, exist_ok=True)
        (run.model_of(k).parent / "eval" / "summary.json").write_text(json.dumps({"stage": "x"}))
    return tmp_path


def _steps(plan):
    return [s["step"] + (str(s["iteration"]) if "iteration" in s else "") for s in plan.steps]


def test_run_iteration_2_with_iteration_1_missing_runs_it_first(tmp_path):
    plan = plan_goal("run iteration 2", _workspace(tmp_path, 0))
    assert _steps(plan)[:6] == ["sample1", "check1", "pairs1", "dpo1", "eval1", "compare1"]
    assert "sample2" in _steps(plan) and _steps(plan)[-2:] == ["paper", "claims"]
    assert any("iteration(s) 1 first" in n for n in plan.notes)


def test_run_iteration_on_an_empty_workspace_builds_data_and_sft(tmp_path):
    plan = plan_goal("run iteration 1", tmp_path)
    assert _steps(plan)[:5] == ["data", "sft", "eval0", "paper", "claims"] and plan.run_id == "run1"


def test_other_goals(tmp_path):
    ws = _workspace(tmp_path, 1)
    assert _steps(plan_goal("evaluate iteration 1", ws)) == ["eval1", "paper", "claims"]
    assert _steps(plan_goal("Draft the results section", ws)) == ["paper", "claims"]
    assert _steps(plan_goal("check the paper", ws)) == ["claims"]
    new = plan_goal("start a new run with temperature 0.7", ws)
    assert new.run_id == "run2" and new.overrides == {"sample.temperature": 0.7} and _steps(new)[0] == "data"
    assert _steps(plan_goal("run iteration 1", ws)) == ["compare1", "paper", "claims"]


def test_unknown_goal_is_a_clear_error(tmp_path):
    assert intent_from_rules("make me a sandwich") is None
    with pytest.raises(ValueError, match="run iteration 2"):
        plan_goal("make me a sandwich", tmp_path)


def test_a_researchers_phrasings_become_plans(tmp_path):
    ws = _workspace(tmp_path, 2)
    assert _steps(plan_goal("do another DPO round", ws))[:6] == ["sample3", "check3", "pairs3", "dpo3", "eval3", "compare3"]
    assert _steps(plan_goal("one more iteration please", ws))[0] == "sample3"
    longer = plan_goal("train SFT longer then redo iteration one", ws)
    assert _steps(longer)[:4] == ["sft", "eval0", "paper", "claims"] and "sample1" in _steps(longer)
    assert longer.overrides == {"sft.epochs": 12.0} and any("out of date" in n for n in longer.notes)
    assert plan_goal("retrain SFT with 3 more epochs and learning rate 1e-3", ws).overrides == \
        {"sft.epochs": 9.0, "sft.learning_rate": 0.001}
    assert plan_goal("SFT with 20 epochs", ws).overrides == {"sft.epochs": 20.0}
    assert _steps(plan_goal("more DPO", ws))[0] == "sample3"
    assert _steps(plan_goal("redo the last iteration", ws))[:2] == ["sample2", "check2"]
    assert _steps(plan_goal("evaluate the latest model", ws)) == ["eval2", "paper", "claims"]
    for vague in ("evaluate", "train longer", "train more"):  # which stage or what to train: not guessed
        assert intent_from_rules(vague) is None, vague


def test_questions_are_answered_not_trained(tmp_path):
    ws = _workspace(tmp_path, 2)
    for goal, iteration, other in (("what went wrong in iteration 1?", 1, None), ("why did DPO not help?", None, None),
                                   ("compare iteration 2 with SFT", 2, 0), ("How many pairs did iteration 2 have?", 2, None)):
        plan = plan_goal(goal, ws)
        assert _steps(plan) == [f"answer{iteration}" if iteration is not None else "answer"], goal
        assert plan.steps[0].get("other") == other and plan.steps[0]["question"] == goal


def test_a_goal_that_names_no_run_says_which_of_several_it_takes(tmp_path):
    ws = _workspace(tmp_path, 1)
    Run(ws, LoopConfig(run_id="run2"), log=lambda m: None).save_config()
    plan = plan_goal("evaluate iteration 0", ws)
    assert plan.run_id == "run2" and any("most recently changed of 2 runs" in n and "--run-id" in n for n in plan.notes)
    assert not any("most recently" in n for n in plan_goal("evaluate iteration 0", ws, run_id="run1").notes)


def test_an_ambiguous_goal_becomes_one_question_with_each_readings_plan(tmp_path):
    ws = _workspace(tmp_path, 2)
    evaluate = plan_goal("Evaluate the model", ws)
    assert list(evaluate.readings) == ["evaluate_latest", "evaluate_sft"]
    assert evaluate.readings["evaluate_latest"]["steps"] == evaluate.steps  # the recommended reading
    assert [s.get("iteration") for s in evaluate.readings["evaluate_sft"]["steps"]][0] == 0
    assert [s.get("iteration") for s in evaluate.steps][0] == 2
    longer = plan_goal("train it a bit longer", ws)
    assert list(longer.readings) == ["more_dpo", "retrain_sft"]
    assert longer.readings["more_dpo"]["steps"][0] == {"step": "sample", "iteration": 3}
    assert longer.readings["retrain_sft"]["overrides"] == {"sft.epochs": 12.0}
    assert "the plan gate asks which" in longer.notes[0]
    assert not plan_goal("run iteration 2", ws).readings  # a clear goal asks nothing


class _ComposingLLM:
    """Answers the planner's prompt with a fixed JSON text, validated the way agent.llm.LLM.structured does."""
    def __init__(self, answer: str):
        self.answer, self.prompts = answer, []

    def structured(self, prompt, schema):
        self.prompts.append(prompt)
        try:
            return schema.model_validate(json.loads(self.answer))
        except ValueError:
            return None


def test_an_llm_composes_several_steps_and_a_step_the_pipeline_lacks_leaves_the_rules_in_charge(tmp_path):
    ws = _workspace(tmp_path, 2)
    llm = _ComposingLLM('{"intents": [{"action": "retrain_sft", "more_epochs": 2}, {"action": "redo_iteration", '
                        '"iteration": 1}, {"action": "answer", "question": "did it help?", "iteration": 1}]}')
    plan = plan_goal("give SFT two more epochs, redo the first round and tell me whether it helped", ws, llm=llm)
    assert plan.source == "llm" and "retrain_sft" in llm.prompts[0] and "did it help" not in llm.prompts[0]
    assert _steps(plan)[:4] == ["sft", "eval0", "paper", "claims"] and "sample1" in _steps(plan)
    assert _steps(plan)[-1] == "answer1" and plan.overrides == {"sft.epochs": 8.0}
    single = plan_goal("check the numbers", ws, llm=_ComposingLLM('{"action": "check_paper"}'))  # one intent, no list
    assert single.source == "llm" and _steps(single) == ["claims"]
    refused = plan_goal("run iteration 3", ws, llm=_ComposingLLM('{"intents": [{"action": "launch_rockets"}]}'))
    assert refused.source == "rules" and _steps(refused)[0] == "sample3"


def test_sampling_settings_figures_and_resuming_in_a_researchers_words(tmp_path):
    """Sampling settings named in a goal become the run's overrides and the iteration is run (again, when it was
    evaluated with other settings); a figure or a write-up is a draft, which checks its numbers too; resuming runs the
    configured iterations, skipping what is done."""
    ws = _workspace(tmp_path, 2)
    again = plan_goal("sample 8 traces per problem at temperature 1.0 for iteration 2", ws)
    assert _steps(again)[:2] == ["sample2", "check2"] and again.overrides == \
        {"sample.temperature": 1.0, "sample.samples_per_problem": 8}
    rerun = plan_goal("run iteration 2 with 6 samples per problem", ws)
    assert _steps(rerun)[0] == "sample2" and any("run again" in n for n in rerun.notes)
    assert _steps(plan_goal("run iteration 2", ws)) == ["compare2", "paper", "claims"]  # no new settings: nothing redone
    new = plan_goal("start a new run with 8 samples per problem at T=1.0", ws)
    assert new.run_id == "run2" and new.overrides == {"sample.temperature": 1.0, "sample.samples_per_problem": 8}
    for goal in ("make a figure of step validity across iterations", "write up the results for the paper and "
                 "double-check the numbers"):
        assert _steps(plan_goal(goal, ws)) == ["paper", "claims"], goal
    assert _steps(plan_goal("check the draft of the results section", ws)) == ["claims"]
    assert _steps(plan_goal("resume where we left off", _workspace(tmp_path / "b", 1)))[0] == "sample2"


@pytest.mark.parametrize("goal, fix", [("train a bigger model", "tiny:"),
                                       ("ablate the verifier", "start a new run"),
                                       ("redo the eval on 1000 problems", "data.n_test")])
def test_a_goal_outside_a_runs_steps_says_what_to_do_instead(tmp_path, goal, fix):
    with pytest.raises(ValueError, match="not a step of a run") as err:
        plan_goal(goal, _workspace(tmp_path, 1))
    assert fix in str(err.value)


def test_more_of_a_researchers_phrasings_become_plans(tmp_path):
    """Counts of iterations ("two more rounds", "run 3 iterations of DPO", "do iterations 2 and 3"), a setting with
    words between ("a higher temperature when sampling, say 1.0"), a sanity check of the SFT model, a summary asked
    for, "keep going"; "push step validity higher" and "evaluate on the test set" have two readings and ask."""
    ws = _workspace(tmp_path, 1)
    two_more = plan_goal("train for two more iterations", ws)
    assert "sample2" in _steps(two_more) and "eval3" in _steps(two_more) and "sample4" not in _steps(two_more)
    assert "eval3" in _steps(plan_goal("run 3 iterations of DPO", ws))
    assert "eval3" in _steps(plan_goal("do iterations 2 and 3", ws))
    hotter = plan_goal("try a higher temperature when sampling, say 1.0", ws)
    assert hotter.overrides == {"sample.temperature": 1.0} and _steps(hotter)[0] == "sample2"
    assert _steps(plan_goal("sanity-check the SFT model on a few problems", ws)) == ["eval0", "paper", "claims"]
    assert intent_from_rules("summarize what we learned so far").action == "answer"
    assert intent_from_rules("keep going until step validity stops improving").action == "run_iteration"
    for ambiguous in ("push step validity higher", "evaluate on the test set"):
        assert len(plan_goal(ambiguous, ws).readings) == 2, ambiguous
    assert plan_goal("bump the learning rate of SFT to 3e-3 and retrain", ws).overrides["sft.learning_rate"] == 0.003
    assert plan_goal("rerun everything from scratch", ws).run_id == "run2"
    assert _steps(plan_goal("draft the paper then check it", ws)) == ["paper", "claims"]  # drafting checks it already
    assert intent_from_rules("I want to see the pairs for iteration 1").action == "answer"
