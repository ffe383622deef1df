import copy

import pytest

from sokrates.logic import parse_sentence
from sokrates.problems import GeneratorConfig, Problem, generate
from sokrates.solver import apply_option, verify_text
from sokrates.traces import render_trace


def _problem(premises, query, label="True"):
    return Problem("t", premises, query, label)


def _step(thought, option, args):
    return f'Thought: {thought}\nAction: <Option type="{option}" args="{args}" />\n'


def test_lax_verifier_example_is_rejected():
    """The published solver accepted this step: a fact about wumpuses with a rule about numpuses."""
    p = _problem(["Sally is a wumpus", "Numpuses are not transparent", "Every wumpus is a numpus"],
                 "Sally is not transparent")
    bad = _step("Sally is a wumpus. So Sally is not transparent.", "MODUS_PONENS", "[0, 1]") + \
        _step("So the answer is True.", "CONCLUDE", "[0]")
    result = verify_text(p, bad)
    assert not result.steps[0].valid and "does not match the rule's antecedent" in result.steps[0].reason
    assert not result.steps[1].valid and not result.valid  # nothing established the statement
    good = _step("So Sally is a numpus.", "MODUS_PONENS", "[0, 2]") + \
        _step("So Sally is not transparent.", "MODUS_PONENS", "[3, 1]") + _step("So the answer is True.", "CONCLUDE", "[0]")
    assert verify_text(p, good).valid


def _corruptions(p):
    """Swapped index, wrong option, wrong derived formula, wrong conclusion."""
    first = p.proof[0]
    idx = [i for i, a in enumerate(first["args"]) if isinstance(a, int)]
    swapped = copy.deepcopy(p.proof)
    swapped[0]["args"][idx[0]] = next(i for i in range(len(p.premises)) if i != first["args"][idx[0]])
    if len(idx) > 1:
        swapped[0]["args"][idx[1]] = next(i for i in reversed(range(len(p.premises))) if i != first["args"][idx[1]])
    wrong_option = copy.deepcopy(p.proof)
    wrong_option[0]["option"] = "MODUS_TOLLENS" if first["option"] == "MODUS_PONENS" else "MODUS_PONENS"
    if first["option"] == "AND_ELIM":
        wrong_option[0] = {"option": "MODUS_PONENS", "args": [first["args"][0], first["args"][0]], "formula": first["formula"]}
    wrong_formula = copy.deepcopy(p.proof)
    wrong_formula[-2]["formula"] = wrong_formula[-2]["formula"].replace(" is not ", " is ") \
        if " is not " in wrong_formula[-2]["formula"] else wrong_formula[-2]["formula"].replace(" is ", " is not ")
    wrong_label = copy.deepcopy(p.proof)
    wrong_label[-1]["args"] = [1 - wrong_label[-1]["args"][0]]
    return {"swapped": swapped, "option": wrong_option, "formula": wrong_formula, "label": wrong_label}


def test_corrupted_gold_proofs_all_fail():
    checked = 0
    for p in generate(GeneratorConfig(n=400)):
        for kind, proof in _corruptions(p).items():
            result = verify_text(p, render_trace(p.premises, proof))
            assert not result.valid, (p.id, kind)
            if kind != "label":
                assert not all(s.valid for s in result.steps), (p.id, kind)
            checked += 1
    assert checked == 1600


def test_citing_an_invalid_step_is_invalid():
    p = _problem(["Sally is a wumpus", "Every wumpus is a tumpus", "Every tumpus is dull"], "Sally is dull")
    trace = _step("So Sally is a rompus.", "MODUS_PONENS", "[0, 1]") + _step("So Sally is dull.", "MODUS_PONENS", "[3, 2]")
    result = verify_text(p, trace + _step("So the answer is True.", "CONCLUDE", "[0]"))
    assert [s.valid for s in result.steps] == [False, False, False]
    assert "not established" in result.steps[1].reason


F = parse_sentence


@pytest.mark.parametrize("option, args, cited, claim", [
    ("UNIV_INSTANTIATION", [0, "Sally"], ["Every wumpus is a tumpus"], "If Sally is a wumpus then Sally is a tumpus"),
    ("MODUS_PONENS", [0, 1], ["Sally is a wumpus", "If Sally is a wumpus then Sally is a tumpus"], "Sally is a tumpus"),
    ("MODUS_TOLLENS", [0, 1], ["Sally is not a tumpus", "Every wumpus is a tumpus"], "Sally is not a wumpus"),
    ("EXIST_GENERALIZATION", [0, "x"], ["Sally is a wumpus"], "Something is a wumpus"),
    ("AND_INTRO", [0, 1], ["Sally is a wumpus", "Sally is dull"], "Sally is a wumpus and dull"),
    ("AND_ELIM", [0, 1], ["Sally is a wumpus and dull"], "Sally is dull"),
    ("OR_INTRO", [0, 1], ["Sally is a wumpus", "Sally is dull"], "Sally is a wumpus or dull"),
    ("DISJUNCTIVE_SYLLOGISM", [0, 1], ["Sally is a wumpus or dull", "Sally is not a wumpus"], "Sally is dull"),
    ("HYPOTHETICAL_SYLLOGISM", [0, 1], ["Every wumpus is a tumpus", "Every tumpus is dull"], "Every wumpus is dull"),
    ("DOUBLE_NEGATION", [0], ["It is not the case that Sally is not dull"], "Sally is dull"),
])
def test_each_option_derives_its_formula_and_nothing_else(option, args, cited, claim):
    result = apply_option(option, args, [F(c) for c in cited])
    assert F(claim) in result
    assert F("Sally is a rompus") not in result


@pytest.mark.parametrize("option, cited", [
    ("MODUS_PONENS", ["Sally is a wumpus", "Every numpus is not transparent"]),
    ("MODUS_TOLLENS", ["Sally is a tumpus", "Every wumpus is a tumpus"]),
    ("AND_ELIM", ["Sally is a wumpus"]),
    ("DISJUNCTIVE_SYLLOGISM", ["Sally is a wumpus or dull", "Sally is not a rompus"]),
    ("HYPOTHETICAL_SYLLOGISM", ["Every wumpus is a tumpus", "Every rompus is dull"]),
    ("UNIV_INSTANTIATION", ["Sally is a wumpus"]),
])
def test_rules_refuse_formulas_they_do_not_apply_to(option, cited):
    args = [0, 1] if option != "UNIV_INSTANTIATION" else [0, "Sally"]
    assert isinstance(apply_option(option, args, [F(c) for c in cited]), str)


def test_unknown_conclusion_needs_an_underivable_query():
    p = _problem(["Sally is a wumpus", "Every rompus is dull"], "Sally is dull", "Unknown")
    assert verify_text(p, _step("So the answer is Unknown.", "CONCLUDE", "[2]")).valid
    q = _problem(["Sally is a wumpus", "Every wumpus is dull"], "Sally is dull", "Unknown")
    assert not verify_text(q, _step("So the answer is Unknown.", "CONCLUDE", "[2]")).steps[0].valid
