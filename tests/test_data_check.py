import json

import pytest

from sokrates.data_check import check_file
from sokrates.problems import GeneratorConfig, generate


def _write(path, records, raw_lines=()):
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "".join(raw_lines))
    return path


def _codes(findings):
    return {(f.code, f.line) for f in findings}


@pytest.fixture
def good():
    return [p.to_record() for p in generate(GeneratorConfig(n=30, seed=3))]


def test_clean_file_has_no_errors(tmp_path, good):
    assert [f for f in check_file(_write(tmp_path / "d.jsonl", good)) if f.severity == "error"] == []


def test_each_planted_problem_is_found_on_its_line(tmp_path, good):
    bad = [dict(r) for r in good]
    bad[1] = {k: v for k, v in bad[1].items() if k != "premises"} | {"context": "Sally is a wumpus."}  # wrong field
    bad[2]["proof"] = [{"option": "CONCLUDE", "args": [0], "formula": None}]                         # trivial
    bad[3]["premises"] = ["Wumpus(Sally)", "∀x (Wumpus(x) → Tumpus(x))"]                               # predicates
    bad[4] = {"prompt": "Is it?", "completion": "Action: CONCLUDE"}                                     # short, no Thought
    bad[5]["proof"][0]["args"] = [0, 1]                                                                   # wrong citation
    bad[6] = dict(bad[7])                                                                                  # duplicate
    bad[8]["proof"] = []                                                                                   # empty target
    findings = check_file(_write(tmp_path / "d.jsonl", bad, ["{not json\n"]))
    codes = _codes(findings)
    for expected in [("wrong_field", 2), ("trivial_target", 3), ("predicate_format", 4), ("short_input", 5),
                     ("missing_thought", 5), ("invalid_gold", 6), ("duplicate", 8), ("empty_target", 9),
                     ("malformed_json", 31)]:
        assert expected in codes, expected
    assert all(f.line is None or f.line in {2, 3, 4, 5, 6, 8, 9, 31} for f in findings)


def test_hard_coded_indices_one_step_targets_and_label_imbalance(tmp_path):
    records = []
    for i in range(20):
        premises = [f"{n} is a wumpus" for n in ("Sally", "Max", "Rex")] + ["Every wumpus is a tumpus"] * 2 + [f"Wren is a yumpus {i}"]
        records.append({"id": str(i), "premises": premises, "query": "Sally is a tumpus", "label": "True",
                        "proof": [{"option": "MODUS_PONENS", "args": [0, 1], "formula": "Sally is a tumpus"},
                                  {"option": "CONCLUDE", "args": [0], "formula": None}]})
    codes = {f.code for f in check_file(_write(tmp_path / "d.jsonl", records))}
    assert {"constant_args", "mostly_one_step", "label_imbalance"} <= codes


def test_conflicting_duplicate_is_an_error(tmp_path, good):
    twin = dict(good[0], id="twin", label="False" if good[0]["label"] == "True" else "True")
    findings = check_file(_write(tmp_path / "d.jsonl", good + [twin]))
    assert ("conflicting_duplicate", 31) in _codes(findings)


class _CharTokenizer:
    def __call__(self, text):
        return {"input_ids": list(text)}


def test_truncation_needs_a_tokenizer_and_is_found(tmp_path, good):
    path = _write(tmp_path / "d.jsonl", good)
    assert not any(f.code == "truncated_target" for f in check_file(path))
    found = [f for f in check_file(path, tokenizer=_CharTokenizer(), max_length=400) if f.code == "truncated_target"]
    named, summary = [f for f in found if f.line], [f for f in found if f.line is None]
    assert 1 <= len(named) <= 5 and len(summary) == 1  # a few named records, one summary with the value that fits
    from sokrates.problems import Problem
    longest = max(len(Problem.from_record(r).prompt() + Problem.from_record(r).target()) for r in good)  # 1 char, 1 token
    assert f"sft.max_length: {longest} " in summary[0].fix
