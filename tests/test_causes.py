"""Why steps fail: planted traces on one generated problem get the cause the module promises, local validity
ignores the cascade, and the breakdown counts first errors."""
from sokrates.causes import breakdown, top_causes
from sokrates.decisions import decision_spans
from sokrates.problems import GeneratorConfig, generate
from sokrates.sampling import trace_record
from sokrates.traces import action_text

# gen-0-000001: 0 Impuses are not large. 1 Alex is a sterpus. 2 Every dumpus is not sour. 3 Each kurpus is a
# dumpus. 4 Each dumpus is an impus. 5 Fae is a kurpus. 6 Every dumpus is not luminous. 7 Every sterpus is
# luminous. Query: Fae is not luminous (True). Gold: MP [5, 3] -> 8 Fae is a dumpus; MP [8, 6]; CONCLUDE [0].
PROBLEM = generate(GeneratorConfig(n=2, seed=0))[1]


def _step(thought: str, option: str, args: list) -> str:
    return f"Thought: {thought}\n{action_text(option, args)}\n"


def _causes(text: str) -> list:
    record = trace_record(PROBLEM, 0, text)
    return [s["cause"] for s in record["steps"]], [s["local_valid"] for s in record["steps"]]


def test_the_planted_problem_is_the_one_described():
    assert PROBLEM.premises[3] == "Each kurpus is a dumpus" and PROBLEM.premises[6] == "Every dumpus is not luminous"
    assert [s["args"] for s in PROBLEM.proof] == [[5, 3], [8, 6], [0]]


def test_gold_traces_have_no_cause_in_every_style():
    for style in ("plain", "numbered", "tagged", "tagged_verbatim"):
        causes, local = _causes(PROBLEM.target(style))
        assert causes == [None, None, None] and all(local), style


def test_each_cause_on_a_planted_step():
    good = _step("Fae is a kurpus. Each kurpus is a dumpus. So Fae is a dumpus.", "MODUS_PONENS", [5, 3])
    cases = {
        # right claim, wrong premise number: rule 4 is cited but rule 3 gives the claim
        "wrong_index": _step("Fae is a kurpus. Each kurpus is a dumpus. So Fae is a dumpus.", "MODUS_PONENS", [5, 4]),
        # restates rule 3 but cites rule 2, and the claim follows from neither pair
        "premise_not_copied": _step("Fae is a kurpus. Each kurpus is a dumpus. So Fae is sour.", "MODUS_PONENS", [5, 2]),
        # restates and cites rule 7, whose antecedent Fae is not
        "wrong_rule": _step("Fae is a kurpus. Every sterpus is luminous. So Fae is luminous.", "MODUS_PONENS", [5, 7]),
        # the rule applies, the claim is something else
        "claim_not_following": _step("Fae is a kurpus. Each kurpus is a dumpus. So Fae is an impus.", "MODUS_PONENS", [5, 3]),
        "malformed": "Thought: Fae is a kurpus. So Fae is a dumpus.\nAction: <Option type=\"MODUS_PONENS\" args=\"[5]\" />\n",
    }
    for cause, text in cases.items():
        assert _causes(text)[0][0] == cause, cause
    # the answer is wrong although the steps are right
    assert _causes(good + _step("Fae is a dumpus. So the answer is False.", "CONCLUDE", [1]))[0] == [None, "wrong_answer"]
    # an out-of-range number is a wrong index, not a malformed step
    assert _causes(_step("Fae is a kurpus. So Fae is a dumpus.", "MODUS_PONENS", [5, 30]))[0][0] == "wrong_index"


def test_cascade_is_grounded_invalid_but_locally_valid():
    wrong_first = _step("Fae is a kurpus. Each dumpus is an impus. So Fae is a dumpus.", "MODUS_PONENS", [5, 4])
    then = _step("Fae is a dumpus. Every dumpus is not luminous. So Fae is not luminous.", "MODUS_PONENS", [8, 6])
    causes, local = _causes(wrong_first + then)
    assert causes == ["wrong_index", "cites_unestablished"]
    assert local == [False, True]  # taking step 0's claim as stated, step 1 applies its rule correctly


def test_breakdown_counts_first_errors_and_top_causes():
    texts = [PROBLEM.target(), _step("So Fae is a dumpus.", "MODUS_PONENS", [5, 4]) +
             _step("Fae is a dumpus. Every dumpus is not luminous. So Fae is not luminous.", "MODUS_PONENS", [8, 6]),
             _step("Fae is a kurpus. Each kurpus is a dumpus. So Fae is an impus.", "MODUS_PONENS", [5, 3])]
    report = breakdown([trace_record(PROBLEM, k, t) for k, t in enumerate(texts)])
    assert report["causes"] == {"cites_unestablished": 1, "wrong_index": 1, "claim_not_following": 1}
    assert report["first_error_causes"] == {"wrong_index": 1, "claim_not_following": 1}
    assert report["first_error_step"] == {"0": 2} and report["traces_without_error"] == 1
    assert report["local_step_validity"]["k"] == 4 and report["local_step_validity"]["n"] == 6
    assert top_causes(report) == ["wrong_index 50% (1/2)", "claim_not_following 50% (1/2)"]


def test_decision_spans_mark_the_choices_of_each_style():
    plain, numbered = PROBLEM.target("plain"), PROBLEM.target("numbered")
    spans = [(k, plain[a:b]) for k, a, b in decision_spans(plain)]
    assert spans[:6] == [("cited", "Fae is a kurpus"), ("cited", "Each kurpus is a dumpus"), ("claim", "Fae is a dumpus"),
                         ("option", "MODUS_PONENS"), ("index", "5"), ("index", "3")]
    assert ("answer", "0") in spans and ("claim", "the answer is True") not in spans
    assert [numbered[a:b] for k, a, b in decision_spans(numbered) if k == "cited"] == ["5", "3", "8", "6", "9"]


def test_prose_styles_are_their_styles_thoughts_without_actions_and_never_verify():
    for prose, style in (("prose", "plain"), ("numbered_prose", "numbered")):
        full = PROBLEM.target(style).splitlines()
        assert PROBLEM.target(prose).splitlines() == [line for line in full if line.startswith("Thought:")]
        assert len(full) == 2 * len(PROBLEM.target(prose).splitlines())
        record = trace_record(PROBLEM, 0, PROBLEM.target(prose))
        assert not record["valid"] and not any(s["valid"] for s in record["steps"])
