from sokrates.pairs import build_pairs
from sokrates.problems import GeneratorConfig, generate
from sokrates.sample_check import check_samples
from sokrates.sampling import trace_record


def _records(problems, texts_per_problem):
    return [trace_record(p, k, t) for p, ts in zip(problems, texts_per_problem) for k, t in enumerate(ts)]


CONCLUDE_ONLY = 'Thought: So the answer is True.\nAction: <Option type="CONCLUDE" args="[0]" />'


def test_pairs_prefer_valid_and_are_never_identical():
    problems = generate(GeneratorConfig(n=3, seed=4))
    gold = [p.target() for p in problems]
    texts = [[gold[0], gold[0], CONCLUDE_ONLY],    # one distinct valid, one invalid -> 1 pair
             [gold[1], gold[1]],                   # only valid -> no pair
             [CONCLUDE_ONLY, ""]]                  # only invalid -> no pair
    prompts = {p.id: p.prompt() for p in problems}
    pairs, report = build_pairs(_records(problems, texts), prompts, max_per_problem=2)
    assert len(pairs) == 1 and pairs[0]["chosen"] == gold[0] and pairs[0]["rejected"] == CONCLUDE_ONLY
    assert all(p["chosen"] != p["rejected"] for p in pairs)
    assert report["problems_without_invalid_sample"] == 1 and report["problems_without_valid_sample"] == 1
    assert report["problems_with_pairs"] == 1


def test_check_fails_degenerate_output_and_warns_greedy_duplicates():
    problems = generate(GeneratorConfig(n=6, seed=5))
    n_premises = {p.id: len(p.premises) for p in problems}
    degenerate = _records(problems, [[CONCLUDE_ONLY] * 2 for _ in problems])
    report = check_samples(degenerate, 0.7, 2, n_premises)
    assert report["verdict"] == "fail" and report["degenerate"]["conclude_only"] == 12
    good = _records(problems, [[p.target()] * 2 for p in problems])
    report = check_samples(good, 0.0, 2, n_premises)
    assert report["verdict"] == "warn" and any("temperature is 0" in r for r in report["reasons"])
    assert report["step_validity"]["value"] == 1.0 and report["distinct_traces_per_problem"] == 1.0


def test_check_flags_skip_chain_gaming():
    """Steps that cite the given fact with a rule about another class: what a lax verifier accepted."""
    problems = [p for p in generate(GeneratorConfig(n=40, seed=6)) if p.meta["variant"] == "chain" and p.hops >= 2][:5]
    texts = []
    for p in problems:
        fact = p.proof[0]["args"][0]
        rules = [i for i, s in enumerate(p.premises) if s.split()[0] in ("Every", "Each") or " are " in s]
        steps = "".join(f'Thought: So {p.query}.\nAction: <Option type="MODUS_PONENS" args="[{fact}, {r}]" />\n'
                        for r in rules[:3])
        texts.append([steps + CONCLUDE_ONLY])
    report = check_samples(_records(problems, texts), 0.7, 1, {p.id: len(p.premises) for p in problems})
    assert report["gaming"]["skip_chain_share"] > 0.5
    assert report["gaming"]["premise_fixation_share"] > 0.5
    assert report["verdict"] in ("warn", "fail") and any("gaming" in r for r in report["reasons"])


def test_later_first_error_pairs_only_when_asked_and_only_without_a_valid_sample():
    problems = generate(GeneratorConfig(n=2, seed=4))
    gold = [p.target() for p in problems]
    steps = gold[1].split("Thought:")[1:]
    one_right = "Thought:" + steps[0] + CONCLUDE_ONLY.replace("True", "False").replace("[0]", "[1]")  # first step valid
    texts = [[gold[0], CONCLUDE_ONLY], [one_right, CONCLUDE_ONLY, ""]]
    prompts = {p.id: p.prompt() for p in problems}
    records = _records(problems, texts)
    assert [len(r["steps"]) and r["steps"][0]["valid"] for r in records[2:4]] == [True, False]
    plain, report = build_pairs(records, prompts)
    assert report["problems_with_pairs"] == 1 and report["kinds"]["later_first_error"] == 0
    pairs, report = build_pairs(records, prompts, later_first_error=True)
    prefix = [p for p in pairs if p["kind"] == "later_first_error"]
    assert report["problems_with_pairs"] == 2 and report["prefix_pairs_problems"] == 1
    assert [p["chosen"] for p in prefix] == [one_right, one_right]  # against both earlier failures
    assert {p["rejected"] for p in prefix} == {CONCLUDE_ONLY, ""}
    assert [p["kind"] for p in pairs if p["problem_id"] == problems[0].id] == ["valid"]


def test_step_pairs_are_one_step_each_after_the_shared_steps_and_end_open():
    import re
    problem = next(p for p in generate(GeneratorConfig(n=20, seed=4, min_hops=2)) if len(p.proof) >= 3)
    gold = problem.target()
    blocks = ["Thought:" + b for b in gold.split("Thought:")[1:]]
    wrong = re.sub(r'args="\[[^\]]*\]"', 'args="[0, 0]"', blocks[1])   # the second step cites the wrong formulas
    rejected = blocks[0] + wrong + "".join(blocks[2:])
    texts = [[gold, rejected, "stray line\n" + rejected]]
    records = _records([problem], texts)
    assert records[1]["steps"][0]["valid"] and not records[1]["steps"][1]["valid"]
    prompts = {problem.id: problem.prompt()}
    whole, _ = build_pairs(records, prompts)
    assert [p["kind"] for p in whole] == ["valid", "valid"] and whole[0]["rejected"] == rejected
    pairs, report = build_pairs(records, prompts, step_pairs=True)
    assert report["kinds"]["step"] == 1 and len(pairs) == 1  # the trace with stray text gives no step pair
    pair = pairs[0]
    assert pair["prompt"] == problem.prompt() and pair["prefix"] == blocks[0]
    assert pair["chosen"] == blocks[1] and pair["rejected"] == wrong and pair["open_end"]


def test_step_pairs_need_no_valid_trace_only_a_valid_step_after_the_same_steps():
    import re
    problem = next(p for p in generate(GeneratorConfig(n=20, seed=4, min_hops=2)) if len(p.proof) >= 3)
    blocks = ["Thought:" + b for b in problem.target().split("Thought:")[1:]]
    cite = lambda b: re.sub(r'args="\[[^\]]*\]"', 'args="[0, 0]"', b)  # noqa: E731  (wrong formulas cited)
    early = blocks[0] + cite(blocks[1]) + "".join(blocks[2:])             # first error at step 1
    late = blocks[0] + blocks[1] + cite(blocks[2]) + "".join(blocks[3:])   # first error at step 2
    records = _records([problem], [[early, late]])
    assert not any(r["valid"] for r in records)
    pairs, report = build_pairs(records, {problem.id: problem.prompt()}, step_pairs=True)
    assert report["problems_without_valid_sample"] == 1 and report["problems_with_pairs"] == 1
    assert [(p["prefix"], p["chosen"], p["rejected"]) for p in pairs] == [(blocks[0], blocks[1], cite(blocks[1]))]
    assert build_pairs(records, {problem.id: problem.prompt()})[0] == []  # whole-trace pairs need a valid trace
