import pytest

from sokrates.traces import STOP_STRINGS, parse_trace, render_prompt, truncate_at_conclude

GOOD = """Thought: Sally is a wumpus. Every wumpus is a tumpus. So Sally is a tumpus.
Action: <Option type="MODUS_PONENS" args="[1, 0]" />
Thought: So the answer is True.
Action: <Option type="CONCLUDE" args="[0]" />
"""


def test_well_formed_trace():
    t = parse_trace(GOOD, 2)
    assert t.verdict == "ok" and t.well_formed and t.label == "True"
    assert [s.option for s in t.steps] == ["MODUS_PONENS", "CONCLUDE"]
    assert t.steps[0].claim == "Sally is a tumpus" and t.steps[0].args == [1, 0]


@pytest.mark.parametrize("action, verdict", [
    ('<Option type="RULE" args="[1, 0]" />', "unknown_option"),
    ('<Option type="MODUS_PONENS" args="1, 0" />', "malformed_args"),
    ('<Option type="MODUS_PONENS" args="[1]" />', "malformed_args"),
    ('<Option type="MODUS_PONENS" args="[1, 7]" />', "index_out_of_range"),
    ('<Option type="AND_ELIM" args="[1, 2]" />', "malformed_args"),
    ('MODUS_PONENS(1, 0)', "malformed_action"),
])
def test_step_verdicts(action, verdict):
    t = parse_trace(f"Thought: So Sally is a tumpus.\nAction: {action}\nThought: x\n"
                    'Action: <Option type="CONCLUDE" args="[0]" />', 2)
    assert t.steps[0].verdict == verdict


def test_missing_claim_missing_action_and_missing_thought():
    t = parse_trace('Thought: Sally is a wumpus.\nAction: <Option type="MODUS_PONENS" args="[1, 0]" />\n'
                    'Thought: dangling\nThought: again\n', 2)
    assert [s.verdict for s in t.steps] == ["missing_claim", "missing_action", "missing_action"]
    t = parse_trace('Action: <Option type="CONCLUDE" args="[0]" />', 2)
    assert t.steps[0].verdict == "missing_thought"


@pytest.mark.parametrize("text, verdict", [
    ("", "empty"),
    ("I think it is true.", "empty"),
    (GOOD.replace('Action: <Option type="CONCLUDE" args="[0]" />', ""), "missing_conclude"),
    (GOOD + GOOD, "text_after_conclude"),
    ("Let me think.\n" + GOOD, "stray_text"),
])
def test_trace_verdicts(text, verdict):
    assert parse_trace(text, 2).verdict == verdict


def test_parser_never_raises_on_garbage():
    for junk in ["Action:", "Thought:\nAction: <Option type=\"\" args=\"\" />", "\x00\x01", "Action: <Option type=\"CONCLUDE\" args=\"[9]\" />",
                 'Thought: So.\nAction: <Option type="UNIV_INSTANTIATION" args="[0, sally]" />', None]:
        parse_trace(junk, 3)


def test_prompt_has_no_placeholder_option():
    for template in ("solve", "solve_compact"):
        prompt = render_prompt(["Every wumpus is a tumpus", "Sally is a wumpus"], "Sally is a tumpus", template)
        assert 'type="RULE"' not in prompt and "0. Every wumpus is a tumpus." in prompt and "{" not in prompt


def test_truncate_at_first_conclude():
    assert truncate_at_conclude(GOOD + GOOD).rstrip() == GOOD.rstrip()
    assert len(STOP_STRINGS) == 3


def test_the_tagged_template_writes_each_premise_number_after_its_sentence():
    from sokrates.traces import render_prompt
    prompt = render_prompt(["Every cat is a mammal", "Tom is a cat."], "Tom is a mammal", "solve_tagged")
    assert "Every cat is a mammal (0).\nTom is a cat (1).\n" in prompt and "0." not in prompt.split("(0)")[0]
    assert "0. Every cat is a mammal." in render_prompt(["Every cat is a mammal"], "Tom is a mammal", "solve_compact")
