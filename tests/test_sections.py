"""Paper sections drafted by an LLM through the `openai` client against a local OpenAI-compatible server (the test's
FakeLLM over HTTP): every number verified and linked, repaired once, or visibly marked; failures leave the templates."""
import re

import pytest

from agent.claims import check_paths
from agent.llm import LLM, LLMSettings
from agent.sections import SECTIONS, draft_sections
from tests.conftest import FakeLLM, agent
from tests.test_paper import _evaluated_run

PLAIN = ("The section describes what the run did in words, without figures, so that the checker has nothing to "
         "verify here and the reader gets the gist of the method and its setting before the results.")
# The planted errors: an accuracy the metrics do not hold (DPO's is 0.633), and a ratio from the wrong pair (1.44× is
# trace validity's 0.433/0.300; step validity's 0.570/0.450 is 1.27×).
WRONG = ("On 300 test problems the SFT model answers 0.500 of them correctly, with step validity 0.450 [0.419, "
         "0.481].\nAfter DPO iteration 1, accuracy is 0.700, and step validity rose from 0.450 to 0.570, a 1.44× gain.")
RIGHT = WRONG.replace("0.700", "0.633").replace("1.44×", "1.27×")


def _llm(url: str) -> LLM:
    return LLM(LLMSettings(url, "fake"), warn=lambda m: None)


def _answers(results: str, repair: str):
    """Answer each section's prompt: plain prose, except the results section and its repair."""
    def answer(prompt: str) -> str:
        if "did not check out" in prompt:
            return repair
        return results if 'drafting the "Results"' in prompt else PLAIN
    return answer


def test_a_planted_wrong_number_is_caught_and_the_repair_verifies_and_links(tmp_path, llm_server):
    _evaluated_run(tmp_path)
    FakeLLM.answers = _answers(WRONG, RIGHT)
    out = draft_sections(tmp_path, "r7", _llm(llm_server))
    text = out.read_text()
    repair = next(r["messages"][0]["content"] for r in FakeLLM.requests if "did not check out" in r["messages"][0]["content"])
    assert "`0.700` (line 2): the metrics hold 0.633 at r7/dpo_iter1/eval/summary.json:accuracy.value" in repair
    assert "`1.44×` (line 2): the metrics hold 1.27" in repair  # the ratio recomputed from the pair it names
    assert len(FakeLLM.requests) == len(SECTIONS) + 1  # one repair round, for the one section that needed it
    assert "unverified" not in text.split("-->", 1)[1]
    assert "[0.633](../runs/r7/dpo_iter1/eval/summary.json#accuracy.value)" in text
    assert "[0.419](../runs/r7/sft/eval/summary.json#step_validity.ci95_low)" in text
    report = check_paths([out], tmp_path / "runs")
    assert report["summary"]["mismatch"] == report["summary"]["unsupported"] == 0
    assert report["summary"]["verified"] >= 8
    assert [line for line in text.splitlines() if line.startswith("<!-- sokrates:begin")] == \
        [f"<!-- sokrates:begin {name} -->" for name in SECTIONS]


def test_a_number_the_repair_leaves_wrong_is_marked_beside_it_and_reported_as_mismatch(tmp_path, llm_server):
    _evaluated_run(tmp_path)
    FakeLLM.answers = _answers(WRONG, WRONG.replace("0.481", "0.482"))  # a "repair" that fixes nothing
    warnings = []
    out = draft_sections(tmp_path, "r7", _llm(llm_server), warnings.append)
    text = out.read_text()
    assert "0.700 [unverified: the metrics hold 0.633 (r7/dpo_iter1/eval/summary.json:accuracy.value)]" in text
    assert "1.44× [unverified: the metrics hold 1.27" in text and "0.482 [unverified:" in text
    assert "[0.570](../runs/r7/dpo_iter1/eval/summary.json#step_validity.value)" in text  # the right ones linked
    report = check_paths([out], tmp_path / "runs")
    wrong = sorted(c["text"] for c in report["claims"] if c["status"] != "verified")
    assert wrong == ["0.482", "0.700", "1.44×"] and report["summary"]["mismatch"] == 3
    assert sum("marked unverified in sections.md: Results" in w for w in warnings) == 3


def test_human_text_outside_the_blocks_survives_a_redraft_and_each_draft_is_a_version(tmp_path, llm_server):
    _evaluated_run(tmp_path)
    FakeLLM.answers = _answers(RIGHT, RIGHT)
    out = draft_sections(tmp_path, "r7", _llm(llm_server))
    out.write_text(out.read_text() + "\nMy own closing paragraph.\n")
    FakeLLM.answers = _answers(RIGHT.replace("a 1.27× gain", "a gain of 1.27×"), RIGHT)
    draft_sections(tmp_path, "r7", _llm(llm_server))
    assert "My own closing paragraph." in out.read_text() and "a gain of" in out.read_text()
    assert len(list((out.parent / "versions").glob("sections-*.md"))) == 2


@pytest.mark.parametrize("failure", ["garbage", "timeout"])
def test_an_llm_that_times_out_or_answers_garbage_leaves_the_templates_with_a_warning(tmp_path, llm_server, failure):
    _evaluated_run(tmp_path)
    if failure == "garbage":
        FakeLLM.answers = lambda prompt: '{"choices": null} <<<>>> 0x00 ###'
        env = {}
    else:
        FakeLLM.answers, FakeLLM.delay = _answers(RIGHT, RIGHT), 3.0
        env = {"SOKRATES_LLM_TIMEOUT": "1"}
    out = agent(tmp_path, "draft", "--llm-base-url", llm_server, "--llm-model", "fake", env=env)
    assert out.returncode == 0, out.stderr
    assert "wrote" in out.stdout and "sections.md" not in out.stdout
    assert "LLM drafting stopped; the template sections in results.md stand" in out.stderr
    assert ("no usable draft" if failure == "garbage" else "LLM call failed (APITimeoutError") in out.stderr
    assert not (tmp_path / "paper" / "sections.md").exists()
    results = (tmp_path / "paper" / "results.md").read_text()
    assert re.search(r"<!-- sokrates:begin results-narrative -->\nOn \[300\]", results)  # the template narrative


INSIGHT = ("### What worked\n- After DPO iteration 1, step validity is 0.570 [0.539, 0.600], up from 0.450 for SFT, "
           "with the intervals apart.\n### What didn't\n- After DPO iteration 1, accuracy is 0.700, which the "
           "intervals do not separate from SFT.\n### Next steps\n- Run another DPO iteration with the same settings "
           "and check whether the gain holds.")


def _session_answers(prompt: str) -> str:
    if "research partner" in prompt or '"session insight"' in prompt:
        return INSIGHT  # the session log's analysis, and its "repair" that leaves 0.700 wrong
    if "Results" in prompt and "drafting" in prompt or "did not check out" in prompt:
        return WRONG
    return PLAIN if "drafting the" in prompt else '{"intents": [{"action": "draft"}]}'


def test_the_agents_paper_step_drafts_with_the_llm_and_the_claims_gate_lists_the_marked_numbers(tmp_path, llm_server):
    """The agent's paper step drafts the sections through the LLM; the claims gate and the log list what is marked;
    the session log gets the LLM's analysis of the session with its numbers checked the same way."""
    from agent.session import Answerer, Session
    from tests.test_agent import _values
    _evaluated_run(tmp_path)
    FakeLLM.answers = _session_answers
    session, code = Session(tmp_path, out=lambda *a: None).start("draft the results section", Answerer(yes=True),
                                                                 LLMSettings(llm_server, "fake"), "r7")
    v = _values(tmp_path, session)
    gate = next(d for d in v["decisions"] if d["gate"] == "claims")
    assert code == 0 and gate["choice"] == "revise"  # --yes follows the recommendation: do not mark it final
    assert gate["question"].startswith("2 claim(s) in the draft do not check out")
    log = next((tmp_path / "sessions").glob("*.md")).read_text()
    issues = log.split("## Issues found")[1].split("##")[0]
    assert re.search(r"claim check: sections.md:\d+ 0.700 -> mismatch \(marked unverified in the draft: the metrics "
                     r"hold 0.633", issues)
    assert re.search(r"claim check: sections.md:\d+ 1.44× -> mismatch", issues)
    assert "marked unverified in sections.md: Results: `0.700`" in log  # the drafter's own warning, kept in the log
    analysis = log.split("## Analysis (drafted by the LLM from this log; every number checked against the metrics)")[1]
    analysis = analysis.split("\n## ")[0]
    assert "#### What worked" in analysis and "#### Next steps" in analysis
    assert "[0.570](../runs/r7/dpo_iter1/eval/summary.json#step_validity.value)" in analysis
    assert "0.700 [unverified: the metrics hold 0.633 (r7/dpo_iter1/eval/summary.json:accuracy.value)]" in analysis
    assert "marked unverified in the session log's analysis: `0.700`" in log
