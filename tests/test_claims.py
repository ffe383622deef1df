"""The claim checker: each matching rule with a correct and a wrong planted claim, binding by table row
and column, non-claims, LaTeX, aggregates, staleness, JSON shape and exit codes."""
import json
import re
from pathlib import Path

import pytest

from agent.claims import check_paths
from sokrates.io import DataError
from sokrates.metrics import rate
from tests.conftest import agent


def _summary(k_acc, k_step, n_steps, k_trace, n=300):
    return {"stage": "x", "n_problems": n, "accuracy": rate(k_acc, n), "step_validity": rate(k_step, n_steps),
            "trace_validity": rate(k_trace, n)}


@pytest.fixture
def metrics(tmp_path) -> Path:
    root = tmp_path / "runs"
    for stage, s in {"sft": _summary(223, 1200, 2000, 60), "dpo_iter1": _summary(240, 1500, 2000, 90),
                     "dpo_iter3": _summary(250, 1700, 2000, 120)}.items():
        (root / "r1" / stage / "eval").mkdir(parents=True)
        (root / "r1" / stage / "eval" / "summary.json").write_text(json.dumps(s))
    (root / "r1" / "dpo_iter1" / "pairs.json").write_text(json.dumps({"pairs": 1594, "problems": 1500}))
    (root / "speed").mkdir()
    (root / "speed" / "vllm.json").write_text(json.dumps({"problems_per_hour": 2200.0}))
    (root / "speed" / "hf_generate.json").write_text(json.dumps({"problems_per_hour": 50.0}))
    (root / "speed" / "table.csv").write_text("backend,problems_per_s\nvllm,0.611\nhf,0.0139\n")
    return root


def _check(tmp_path, metrics, text, suffix=".md"):
    draft = tmp_path / f"draft{suffix}"
    draft.write_text(text)
    report = check_paths([draft], metrics, tmp_path / "state.json")
    return [(c["text"], c["status"]) for c in report["claims"]], report


@pytest.mark.parametrize("sentence, text, status", [
    ("SFT accuracy is 74.3%.", "74.3%", "verified"),               # percent vs fraction (223/300 = 0.74333)
    ("SFT accuracy is 74.8%.", "74.8%", "mismatch"),
    ("SFT accuracy is 0.743.", "0.743", "verified"),               # rounding to the written precision
    ("SFT accuracy is 0.74.", "0.74", "verified"),
    ("SFT accuracy is 0.75.", "0.75", "mismatch"),
    ("DPO iteration 1 used 1,594 pairs.", "1,594", "verified"),     # thousands separator
    ("DPO iteration 1 used 1.6K pairs.", "1.6K", "verified"),       # K suffix
    ("DPO iteration 1 used 1,600 pairs.", "1,600", "mismatch"),
    ("vllm sampled 44× more problems per hour than hf_generate.", "44×", "verified"),
    ("vllm sampled 33x more problems per hour than hf_generate.", "33x", "mismatch"),
    ("Step validity rose from SFT to DPO iteration 1, a gain of 15.0 points.", "15.0 points", "verified"),
    ("Step validity rose from SFT to DPO iteration 1, a gain of 4.1 points.", "4.1 points", "mismatch"),
    ("SFT reaches an accuracy of 0.745 on 300 problems.", "0.745", "mismatch"),  # no k/300 rounds to 0.745
])
def test_each_rule_verifies_the_right_claim_and_rejects_the_wrong_one(tmp_path, metrics, sentence, text, status):
    claims, report = _check(tmp_path, metrics, sentence + "\n")
    assert (text, status) in claims, (claims, report["rules"])


def test_ratio_verdict_names_rule_files_and_value(tmp_path, metrics):
    _, report = _check(tmp_path, metrics, "vllm sampled 33× more problems per hour than hf_generate.\n")
    rule = report["rules"][0]
    assert "ratio" in rule and "vllm.json:problems_per_hour" in rule and "hf_generate.json" in rule and "44×" in rule
    assert report["claims"][0]["expected"] == 44.0


def test_table_cells_bind_to_row_and_column_and_coincidences_do_not_rescue(tmp_path, metrics):
    # 0.833 is DPO iter3's accuracy (250/300) but is written in its Step validity cell (truth 0.850)
    table = ("| Model | Accuracy | Step validity | Trace validity |\n|---|---|---|---|\n"
             "| SFT | 0.743 | 0.600 | 0.200 |\n| + DPO iter3 | 0.833 | 0.833 | 0.400 |\n")
    claims, report = _check(tmp_path, metrics, table)
    assert claims == [("0.743", "verified"), ("0.600", "verified"), ("0.200", "verified"),
                      ("0.833", "verified"), ("0.833", "mismatch"), ("0.400", "verified")]
    bad = report["claims"][4]
    assert bad["source"].endswith("dpo_iter3/eval/summary.json:step_validity.value") and bad["expected"] == 0.85
    assert bad["line"] == 4


def test_intervals_are_recomputed_from_counts(tmp_path, metrics):
    from sokrates.metrics import wilson
    low, high = wilson(223, 300)
    good = f"SFT accuracy 0.743 [{low:.3f}, {high:.3f}].\n"
    claims, _ = _check(tmp_path, metrics, good)
    assert [s for _, s in claims] == ["verified"] * 3
    claims, report = _check(tmp_path, metrics, "SFT accuracy 0.743 [0.700, 0.800].\n")
    assert [s for _, s in claims] == ["verified", "mismatch", "mismatch"]
    assert "Wilson interval of 223/300" in report["rules"][1]


def test_non_claims_are_left_alone(tmp_path, metrics):
    text = ("# 3 Results\n\nAs Section 3 and Table 2 show (see Figure 1, Eq. 4), following [12] and [3, 4] "
            "in 2024, Qwen3-8B and GPT-4 on an H100 ...\n\n1. first item\n2. second item\n\nToo few pairs to move "
            "the model after DPO iteration 1 (need >= 20 steps; a minimum of 5 problems is required).\n\n"
            "We use transformers 5.24, TRL v1.16 and Python 3.11.\n")  # versions of software
    claims, _ = _check(tmp_path, metrics, text)
    assert claims == []


def test_explicit_provenance_wins(tmp_path, metrics):
    text = "Accuracy was [0.833](runs/r1/dpo_iter3/eval/summary.json#accuracy.value) and [0.9](runs/r1/sft/eval/summary.json#accuracy.value).\n"
    (tmp_path / "runs").exists()
    claims, report = _check(tmp_path, metrics, text)
    assert claims == [("0.833", "verified"), ("0.9", "mismatch")]
    assert report["claims"][0]["source"] == "r1/dpo_iter3/eval/summary.json:accuracy.value"


def test_latex_tables_and_text(tmp_path, metrics):
    tex = ("Our SFT accuracy is 74.3\\% (Table~\\ref{tab:main}).\n\\begin{tabular}{lcc}\n\\toprule\n"
           "Model & Accuracy & Step validity \\\\\n\\midrule\nSFT & 0.743 & 0.600 \\\\\n"
           "+ DPO iter1 & 0.800 & 0.700 \\\\\n\\bottomrule\n\\end{tabular}\n")
    claims, _ = _check(tmp_path, metrics, tex, ".tex")
    assert claims == [("74.3%", "verified"), ("0.743", "verified"), ("0.600", "verified"),
                      ("0.800", "verified"), ("0.700", "mismatch")]


def test_a_table_binds_to_the_evaluation_not_the_sample_check_wherever_the_workspace_is(tmp_path, metrics):
    """The pipeline's layout: a DPO iteration holds the test evaluation (whose record names the model by its path)
    and the sample check of the training samples (same metric names, other values). The path's folders are not
    names of the entry, so a table row binds to the evaluation wherever the workspace lives."""
    stage = metrics / "r1" / "dpo_iter1"
    summary = json.loads((stage / "eval" / "summary.json").read_text())
    summary["model"] = "/home/someone/projects/ws/runs/r1/dpo_iter1/model"
    (stage / "eval" / "summary.json").write_text(json.dumps(summary))
    (stage / "check.json").write_text(json.dumps(_summary(2000, 5000, 9000, 900, n=4000)))
    tex = ("\\begin{tabular}{lcc}\n\\toprule\nModel & Accuracy & Step validity \\\\\n\\midrule\n"
           "+ DPO iter1 & 0.800 & 0.750 \\\\\n+ DPO iter1 & 0.500 & 0.556 \\\\\n\\bottomrule\n\\end{tabular}\n")
    claims, _ = _check(tmp_path, metrics, tex, ".tex")
    assert claims == [("0.800", "verified"), ("0.750", "verified"), ("0.500", "mismatch"), ("0.556", "mismatch")]


def test_aggregates_with_missing_or_disagreeing_sources(tmp_path, metrics):
    (metrics / "headline.json").write_text(json.dumps({"accuracy": 0.9, "source": ["r1/ghost/summary.json"]}))
    (metrics / "agg2.json").write_text(json.dumps({"pairs": 1500, "source": "r1/dpo_iter1/pairs.json"}))
    _, report = _check(tmp_path, metrics, "No numbers here.\n")
    statuses = {Path(c["file"]).name: c["status"] for c in report["claims"]}
    assert statuses == {"headline.json": "unsupported", "agg2.json": "mismatch"}


def test_stale_claims_are_reported_when_metrics_change(tmp_path, metrics):
    _, first = _check(tmp_path, metrics, "SFT accuracy is 0.743.\n")
    assert first["stale"] == []
    path = metrics / "r1" / "sft" / "eval" / "summary.json"
    path.write_text(json.dumps(_summary(230, 1200, 2000, 60)))
    _, second = _check(tmp_path, metrics, "SFT accuracy is 0.743.\n")
    assert second["stale"] and second["stale"][0]["source"].startswith("r1/sft/eval/summary.json")


def test_cli_json_shape_and_exit_codes(tmp_path, metrics):
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text("SFT accuracy is 74.3%.\n")
    bad.write_text("SFT accuracy is 80.0%.\n")
    out = agent(tmp_path, "check-paper", str(good), "--metrics", str(metrics), "--json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert set(data) == {"claims", "summary", "unreadable", "notes"} and set(data["summary"]) == {"verified", "mismatch", "unsupported"}
    claim = data["claims"][0]
    assert set(claim) == {"file", "line", "text", "value", "status", "source", "expected", "context"}
    assert claim["line"] == 1 and claim["text"] == "74.3%" and claim["value"] == 74.3
    assert agent(tmp_path, "check-paper", str(bad), "--metrics", str(metrics)).returncode == 1
    missing = agent(tmp_path, "check-paper", str(tmp_path / "nope.md"), "--metrics", str(metrics))
    assert missing.returncode == 2 and "nope.md" in missing.stderr
    (metrics / "broken.json").write_text("{oops")  # skipped with a warning naming it; the check goes on
    broken = agent(tmp_path, "check-paper", str(good), "--metrics", str(metrics))
    assert broken.returncode == 0 and "broken.json" in broken.stderr and "UNREADABLE broken.json" in broken.stdout
    md = agent(tmp_path, "check-paper", str(good), str(bad), "--metrics", str(metrics), "--format", "markdown")
    assert "## " + str(good) in md.stdout and "## " + str(bad) in md.stdout and "| 80.0% | mismatch |" in md.stdout

def test_a_folder_of_sources_is_checked_whole_and_a_rendered_document_is_refused(tmp_path, metrics):
    """A LaTeX project: the folder's .md and .tex files (its sections too), hidden folders and READMEs (the skeleton's
    explains its links with an example number) skipped; a PDF is named as such with the fix, not read as a draft
    with no claims."""
    paper = tmp_path / "paper"
    (paper / "sections").mkdir(parents=True)
    (paper / "main.tex").write_text("\\input{sections/results}\n")
    (paper / "sections" / "results.tex").write_text("SFT accuracy is 74.3\\%.\n")
    (paper / ".git").mkdir()
    (paper / ".git" / "notes.md").write_text("SFT accuracy is 80.0%.\n")
    (paper / "versions").mkdir()
    (paper / "versions" / "results-001.md").write_text("SFT accuracy is 80.0%.\n")  # the drafter's earlier version
    (paper / "README.md").write_text("Every number links to its source, e.g. SFT accuracy [0.800](r1/sft/eval/summary.json#accuracy.value).\n")
    report = check_paths([paper], metrics, tmp_path / "state.json")
    assert [(Path(c["file"]).name, c["text"], c["status"]) for c in report["claims"]] == [("results.tex", "74.3%", "verified")]
    (tmp_path / "paper.pdf").write_text("%PDF-1.7")
    refused = agent(tmp_path, "check-paper", str(tmp_path / "paper.pdf"), "--metrics", str(metrics))
    assert refused.returncode == 2 and "a rendered PDF document, not a draft's source. Fix:" in refused.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="a folder with no .md or .tex draft"):
        check_paths([empty], metrics, tmp_path / "state.json")


def test_submission_checks(tmp_path, metrics):
    draft = tmp_path / "paper.md"
    draft.write_text("# TL;DR\n\n" + "word " * 100 + "\n\n# Body\n\nSee Figure 2 and Table 1.\n\nTable 1: results.\n")
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a,\n  title={X},\n  year={2023},\n  eprint={2401.01234},\n}\n"
                   "@article{b,\n  title={Y},\n  year={2024},\n  eprint={2401.05555},\n}\n")
    out = agent(tmp_path, "check-paper", str(draft), "--metrics", str(metrics), "--submission",
                "--abstract-limit", "200", "--bib", str(bib))
    assert out.returncode == 1
    assert "over the limit of 200" in out.stdout and "Figure 2 is referenced" in out.stdout
    assert "Table 1 is referenced" not in out.stdout and "a says year 2023" in out.stdout and "b says" not in out.stdout


def test_agent_draft_verifies_completely(finished_workspace):
    out = agent(finished_workspace, "check-paper", str(finished_workspace / "paper" / "results.md"),
                "--metrics", str(finished_workspace / "runs"), "--json")
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["summary"]["mismatch"] == 0 and data["summary"]["verified"] > 20


def test_prose_binds_each_number_to_the_nearest_metric_and_stage(tmp_path, metrics):
    claims, _ = _check(tmp_path, metrics, "SFT reaches a step validity of 60.0% and an accuracy of 0.743, "
                                          "DPO iteration 1 an accuracy of 0.800.\n")
    assert claims == [("60.0%", "verified"), ("0.743", "verified"), ("0.800", "verified")]
    claims, _ = _check(tmp_path, metrics, "SFT reaches a step validity of 74.3% and an accuracy of 0.600.\n")
    assert claims == [("74.3%", "mismatch"), ("0.600", "mismatch")]


def test_redrafting_updates_generated_blocks_and_keeps_human_text(finished_workspace, tmp_path):
    import shutil
    from agent.paper import draft_results
    ws = tmp_path / "ws"
    shutil.copytree(finished_workspace, ws)
    path = ws / "paper" / "results.md"
    text = path.read_text().replace("<!-- sokrates:begin results-table -->",
                                    "Our own paragraph stays.\n\n<!-- sokrates:begin results-table -->")
    text = text.replace("| SFT |", "| SFT (edited inside a block) |")
    path.write_text(text)
    draft_results(ws, "run1")
    again = path.read_text()
    assert "Our own paragraph stays." in again and "edited inside a block" not in again
    assert again.count("<!-- sokrates:begin results-table -->") == 1
    assert (ws / "paper" / "results_table.tex").read_text().startswith("\\begin{tabular}")


def test_contradictory_claims_about_one_stage_never_both_verify(tmp_path, metrics):
    (metrics / "r1" / "dpo_iter1" / "check.json").write_text(json.dumps({"accuracy": rate(0, 40)}))  # a sample check
    claims, _ = _check(tmp_path, metrics, "After DPO iteration 1, accuracy is 80.0%.\n\n"
                                          "After DPO iteration 1, accuracy is 0.0%.\n")
    assert claims == [("80.0%", "verified"), ("0.0%", "mismatch")]  # the evaluation, not the sample check


@pytest.mark.parametrize("text, written", [
    ("SFT answers 223/300 test problems correctly.", "223/300"),        # k/n is one claim
    ("We train on 1,500 of the problems, SFT accuracy $74.3\\%$.", "74.3%"),
    ("The learning rate is $5\\times10^{-7}$ (see Table~4) for 2,000 steps.", "5e-7"),
])
def test_parsing_of_written_forms(tmp_path, metrics, text, written):
    from agent.claims.extraction import numbers
    from agent.claims.latex import latex_to_text
    found = [c.text for c in numbers(latex_to_text(text))]
    assert written in found, found
    assert "4" not in found  # Table~4 is a reference, not a claim


def test_metrics_layouts_a_person_keeps(tmp_path):
    """A nested aggregate, a JSONL log with a comment line, a CSV: read without aborting, numbers found by name."""
    root = tmp_path / "results"
    (root / "eval" / "ckpt-sft").mkdir(parents=True)
    (root / "aggregate.json").write_text(json.dumps({"prontoqa": {"sokrates": {"dpo_iter3": {"step_validity": 0.987}}}}))
    (root / "eval" / "ckpt-sft" / "summary.json").write_text(json.dumps({"accuracy": 0.942}))
    (root / "metrics.jsonl").write_text("# Training Metrics Log\n" + json.dumps({"step": 10, "loss": 1.5}) + "\n")
    (root / "table.csv").write_text("method,dataset,accuracy\nSFT,FOLIO,0.612\n")
    draft = tmp_path / "README.md"
    draft.write_text("On PrOntoQA, step validity after DPO iteration 3 is 98.7%. With SFT, accuracy on FOLIO is "
                     "61.2%.\n\nThe SFT checkpoint (ckpt-sft) reaches an accuracy of 94.2%.\n")
    report = check_paths([draft], root, tmp_path / "state.json")
    assert report["unreadable"] == [] and any("comment line" in n for n in report["notes"])
    assert [c["status"] for c in report["claims"]] == ["verified"] * 3, report["rules"]


def test_a_read_only_checkout_still_checks_and_says_where_staleness_would_go(tmp_path, metrics):
    draft = tmp_path / "d.md"
    draft.write_text("SFT accuracy is 74.3%.\n")
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    report = check_paths([draft], metrics, blocker / "claims.json")  # cannot be written
    assert report["summary"]["verified"] == 1
    assert any("staleness not recorded" in n and "claims.json" in n for n in report["notes"])


def test_settings_and_error_causes_in_prose_bind_to_their_keys_and_specs_are_not_claims(tmp_path, metrics):
    """How people (and the LLM drafter) write a run's settings and its diagnosis: "4 traces per problem", "2 pairs per
    problem", "95 first errors are premises not copied", a number "DPO" names for every iteration alike; and
    "premise 0", "a 0.7M-parameter model" are not results."""
    run = metrics / "r1"
    (run / "config.yaml").write_text("dpo_problems: 1500\npairs_per_problem: 2\nsample:\n  samples_per_problem: 4\n")
    for k in (1, 3):
        (run / f"dpo_iter{k}" / "check.json").write_text(json.dumps({"n_problems": 1500, "samples_per_problem": 4}))
    summary = json.loads((run / "dpo_iter3" / "eval" / "summary.json").read_text())
    summary["diagnosis"] = {"causes": {"premise_not_copied": 140, "wrong_index": 30},
                            "first_error_causes": {"premise_not_copied": 95, "wrong_index": 26}}
    (run / "dpo_iter3" / "eval" / "summary.json").write_text(json.dumps(summary))
    claims, report = _check(tmp_path, metrics, (
        "Each DPO iteration sampled 1500 problems with 4 traces per problem and kept up to 2 pairs per problem.\n"
        "After DPO iteration 3, 95 first errors are premises not copied exactly and 26 cite the wrong index.\n"
        "After DPO iteration 3, 96 first errors are premises not copied exactly.\n"
        "The model misreads premise 0 in a 0.7M-parameter model.\n"))
    assert claims == [("1500", "verified"), ("4", "verified"), ("2", "verified"), ("95", "verified"),
                      ("26", "verified"), ("96", "mismatch")], (claims, report["rules"])
    assert "first_error_causes.premise_not_copied" in report["claims"][5]["source"]


HUMAN = """# Results

Our SFT baseline solves 72.3% of the 300 test problems and reaches a step validity of 71.1%. Two rounds of DPO raise
accuracy to 75.7% (+3.4 points) while step validity barely moves (71.1% → 72.2%). Trace validity improves from 57.0%
to 59.7%, but the 95% confidence intervals overlap. Each DPO round used 1,000 training problems with four samples
each; the first round produced 552 preference pairs from 438 problems, the second 572 pairs from 455 problems.

Most remaining errors are copying errors: after the second round, 95 of the first errors are premises that were not
copied verbatim; 26 first errors cite the wrong premise. DPO was trained with β = 0.1 and a learning rate of 5e-5 for 2 epochs.
"""


def test_a_results_section_in_a_persons_own_words_verifies_and_planted_errors_are_still_caught(tmp_path):
    """How people write results (found crying wolf on such a draft): "solves 72.3% of the problems", a difference
    taken from the rounded values (+3.4 = 75.7 − 72.3, where the exact one is 3.33), "(+3.4 points) while step
    validity barely moves (71.1% → 72.2%)" (the parenthesis after belongs to the other clause), "the first round
    produced 552 pairs from 438 problems, the second 572 pairs", "1,000 training problems" (not a `train_*` figure),
    causes in other words."""
    _persons_run(tmp_path)
    claims, report = _check(tmp_path, tmp_path / "runs", HUMAN)
    assert len(claims) == 19 and all(s == "verified" for _, s in claims), [
        (c["text"], c["status"], r) for c, r in zip(report["claims"], report["rules"]) if c["status"] != "verified"]
    wrong = HUMAN.replace("+3.4 points", "+3.6 points").replace("the second 572", "the second 575")
    claims, _ = _check(tmp_path, tmp_path / "runs", wrong)
    assert ("+3.6 points", "mismatch") in claims and ("575", "mismatch") in claims, claims


def _persons_run(tmp_path):
    """A run as the pipeline writes it: three evaluations, pairs, trainer logs, a config, and an SFT summary that
    carries the shipped checkpoint's own (other) scores."""
    run = tmp_path / "runs" / "run1"
    for stage, (acc, step, trace) in {"sft": (217, 785, 171), "dpo_iter1": (227, 796, 179),
                                      "dpo_iter2": (227, 797, 179)}.items():
        (run / stage / "eval").mkdir(parents=True)
        summary = {"n_problems": 300, "accuracy": rate(acc, 300), "step_validity": rate(step, 1104),
                   "trace_validity": rate(trace, 300)}
        if stage == "dpo_iter2":
            summary["diagnosis"] = {"first_error_causes": {"premise_not_copied": 95, "wrong_index": 26},
                                    "causes": {"premise_not_copied": 140, "wrong_index": 30}}
        (run / stage / "eval" / "summary.json").write_text(json.dumps(summary))
    for k, (pairs, with_pairs) in {1: (552, 438), 2: (572, 455)}.items():
        (run / f"dpo_iter{k}" / "pairs.json").write_text(json.dumps({"pairs": pairs, "problems": 1000,
                                                                      "problems_with_pairs": with_pairs}))
        (run / f"dpo_iter{k}" / "metrics.jsonl").write_text(json.dumps({"train_runtime": 55.7, "train_loss": 0.68}) + "\n")
    (run / "config.yaml").write_text("dpo: {beta: 0.1, learning_rate: 5.0e-05, epochs: 2}\ndata: {n_train: 4000, n_test: 300}\n")
    (run / "sft" / "summary.json").write_text(json.dumps({"from_checkpoint": "tiny-sft", "checkpoint": {
        "eval_greedy_test300": {"accuracy": rate(217, 300), "step_validity": rate(781, 1104), "trace_validity": rate(170, 300)}}}))


HUMAN_TEX = r"""\section{Experiments}
We evaluate on 300 held-out problems. After supervised fine-tuning, the model answers 72.3\% of queries correctly
and 71.1\% of its proof steps are valid; only 57\% of traces are valid end to end. DPO improves all three metrics
modestly: accuracy by 3.4 points, step validity by 1.1 points and trace validity by 2.7 points after two iterations.

\begin{table}[t]
\caption{Greedy evaluation on 300 test problems (95\% Wilson intervals in brackets).}
\begin{tabular}{lccc}
\toprule
 & Accuracy & Step validity & Trace validity \\
\midrule
SFT & 0.723 [0.670, 0.771] & 0.711 [0.684, 0.737] & 0.570 [0.513, 0.625] \\
DPO (iter.~2) & 0.757 [0.705, 0.802] & 0.722 [0.695, 0.748] & 0.597 [0.540, 0.651] \\
\bottomrule
\end{tabular}
\end{table}
"""


def test_a_latex_section_in_a_persons_own_words_verifies_and_a_wrong_cell_is_caught(tmp_path):
    """"71.1% of its proof steps are valid" is step validity though "correctly" came first; "accuracy by 3.4 points,
    step validity by 1.1 points" (each difference its own metric, from the stages the sentence names); "DPO
    (iter.~2)"; the SFT row is this run's evaluation, not the shipped checkpoint's scores in the SFT summary."""
    _persons_run(tmp_path)
    claims, report = _check(tmp_path, tmp_path / "runs", HUMAN_TEX, ".tex")
    assert len(claims) == 25 and all(s == "verified" for _, s in claims), [
        (c["text"], c["status"], r) for c, r in zip(report["claims"], report["rules"]) if c["status"] != "verified"]
    claims, _ = _check(tmp_path, tmp_path / "runs", HUMAN_TEX.replace("0.711 [0.684", "0.707 [0.684"), ".tex")
    assert ("0.707", "mismatch") in claims


def test_a_count_of_a_total_no_file_holds_is_unsupported_and_a_wrong_k_of_a_known_n_is_a_mismatch(tmp_path, metrics):
    claims, report = _check(tmp_path, metrics, "SFT answers 223 of 300 test problems correctly and 224 of 300 after "
                                               "DPO iteration 1.\nAfter DPO iteration 1, 95 of 121 first errors are "
                                               "copying errors.\n")
    assert ("223", "verified") in claims and ("224", "mismatch") in claims, (claims, report["rules"])
    assert ("95", "unsupported") in claims and ("121", "unsupported") in claims, (claims, report["rules"])


HUMAN_TABLE = """## 4. Results

Table 1 summarises the main results. DPO lifts accuracy from 72.3% to **75.7%** after the first iteration and keeps it
there in the second; step validity inches up from 71.1% to 72.1% and then 72.2%.

**Table 1.** Test-set results (n = 300 problems; step validity over 1,104 steps).

| Model | Accuracy (%) | Δ | Step validity (%) | Δ | Trace validity (%) |
|---|---|---|---|---|---|
| SFT (shipped checkpoint) | 72.3 | – | 71.1 | – | 57.0 |
| + DPO, iteration 1 | **75.7** | +3.4 | 72.1 | +1.0 | 59.7 |
| + DPO, iteration 2 | **75.7** | +3.4 | **72.2** | +1.1 | 59.7 |

DPO trained on 552 and 572 preference pairs in the two iterations (438 and 455 problems with a pair).
"""


def test_a_table_with_numbered_captions_and_respectively_lists_raises_no_false_mismatch(tmp_path):
    """"## 4. Results" and "Table 1." name no hop or iteration (their numbers once bound cells to by_hops.1 and
    by_hops.4); a Δ column is the value to its left minus the first row's; "DPO lifts accuracy from X to Y after the first iteration" starts at SFT; "552 and 572 pairs in the two
    iterations" names no one stage per number. A wrong cell is still a mismatch."""
    _persons_run(tmp_path)
    claims, report = _check(tmp_path, tmp_path / "runs", HUMAN_TABLE)
    assert not [c for c, s in claims if s == "mismatch"], [
        (c["text"], r) for c, r in zip(report["claims"], report["rules"]) if c["status"] == "mismatch"]
    cells = [c for c in report["claims"] if 10 <= c["line"] <= 12 and not c["text"].startswith("+")]
    assert len(cells) == 9 and all(c["status"] == "verified" for c in cells)  # every value cell
    deltas = [c for c in report["claims"] if c["text"].startswith("+")]
    assert [c["text"] for c in deltas] == ["+3.4", "+1.0", "+3.4", "+1.1"] and all(c["status"] == "verified" for c in deltas)
    claims, _ = _check(tmp_path, tmp_path / "runs", HUMAN_TABLE.replace("| 72.1 | +1.0", "| 72.4 | +1.0"))
    assert ("72.4", "mismatch") in claims and ("+1.0", "mismatch") in claims  # the cell, and its Δ against it
    claims, _ = _check(tmp_path, tmp_path / "runs", HUMAN_TABLE.replace("| +1.1 |", "| +1.3 |"))
    assert ("+1.3", "mismatch") in claims


def test_a_latex_delta_column_is_checked_against_its_neighbour(tmp_path):
    _persons_run(tmp_path)
    tex = ("\\begin{table}\\caption{Results.}\\begin{tabular}{lcccc}\\toprule\n"
           "Model & Accuracy & $\\Delta$ & Step validity & $\\Delta$ \\\\\n\\midrule\n"
           "SFT & 72.3 & -- & 71.1 & -- \\\\\nDPO iteration 2 & 75.7 & +3.4 & 72.2 & +1.3 \\\\\n"
           "\\bottomrule\n\\end{tabular}\\end{table}\n")
    claims, report = _check(tmp_path, tmp_path / "runs", tex, ".tex")
    assert claims == [("72.3", "verified"), ("71.1", "verified"), ("75.7", "verified"), ("+3.4", "verified"),
                      ("72.2", "verified"), ("+1.3", "mismatch")], (claims, report["rules"])


HUMAN_POINTS = """## Results
DPO raises answer accuracy by 3.3 points, from 72.3% to 75.7%, already in the first iteration.
Trace validity rises from 57.0% to 59.7% (171 → 179 of 300 traces).

Local step validity is 84.4% for SFT (932 of 1,104 steps) and 85.2% after the second iteration (941/1104).

The first iteration yielded 552 preference pairs from 438 problems (43.8% of the 1,000 sampled); the second, 572 pairs
from 455 problems. Roughly a fifth of the problems (208 and 202) had no valid sample at all. Samples averaged 3.6 and
3.7 steps.

The SFT model's first errors were mostly uncopied premises (103 traces) and wrong indices (25).

The yield of iteration 1 was 552 pairs / 1,000 problems. The final model answers 227 of 300 correctly, 10 more than the
SFT model.
"""


def test_correct_numbers_written_the_way_people_write_are_never_called_mismatches(tmp_path):
    """A difference from exact values (3.3 points between 72.3% and 75.7%, whose files hold 0.7233 and 0.7567), k
    before and after of one total, local step validity named once for two numbers, "; the second," for iteration 2,
    "uncopied premises", "552 pairs / 1,000 problems", "10 more than the SFT model" (a difference whose other
    number the text does not write), and numbers of metrics the checker's vocabulary binds loosely (problems without a valid
    sample, mean steps): each
    was a false mismatch. A number that fits another metric the sentence's words name is at most unsupported; planted
    errors are still mismatches."""
    _persons_run(tmp_path)
    run = tmp_path / "runs" / "run1"
    for stage, local in (("sft", 932), ("dpo_iter2", 941)):
        path = run / stage / "eval" / "summary.json"
        summary = json.loads(path.read_text())
        summary.setdefault("diagnosis", {})["local_step_validity"] = rate(local, 1104)
        if stage == "sft":
            summary["diagnosis"]["first_error_causes"] = {"premise_not_copied": 103, "wrong_index": 25}
        path.write_text(json.dumps(summary))
    for k, (without, steps) in {1: (208, 3.611), 2: (202, 3.702)}.items():
        pairs = json.loads((run / f"dpo_iter{k}" / "pairs.json").read_text())
        (run / f"dpo_iter{k}" / "pairs.json").write_text(json.dumps({**pairs, "problems_without_valid_sample": without}))
        (run / f"dpo_iter{k}" / "check.json").write_text(json.dumps({"n_samples": 4000, "mean_steps": steps}))
    claims, report = _check(tmp_path, tmp_path / "runs", HUMAN_POINTS)
    status = dict(claims)
    assert not [c for c in claims if c[1] == "mismatch"], [
        (c["text"], r) for c, r in zip(report["claims"], report["rules"]) if c["status"] == "mismatch"]
    assert all(status[t] == "verified" for t in ("3.3 points", "171", "84.4%", "85.2%", "572", "455", "103", "25",
                                                    "1,000")), claims
    wrong = HUMAN_POINTS.replace("by 3.3 points", "by 3.9 points").replace("the second, 572", "the second, 575")
    claims, _ = _check(tmp_path, tmp_path / "runs", wrong.replace("(941/1104)", "").replace("85.2%", "88.2%"))
    status = dict(claims)
    assert (status["3.9 points"], status["575"], status["88.2%"]) == ("mismatch",) * 3, claims


HUMAN_ROWS_TEX = r"""\begin{table}[t]
\caption{Main results (300 test problems).}
\begin{tabular}{lccc}
\toprule
Model & Accuracy & Step validity & Trace validity \\
\midrule
SFT & 72.3 & 71.1 & 57.0 \\
SFT + DPO (1 iter.) & 75.7 & 72.1 & 59.7 \\
SFT + DPO (2 iter.) & 75.7 & 72.2 & 59.7 \\
\bottomrule
\end{tabular}
\end{table}
In each round we drew $k=4$ samples for each of $1{,}000$ problems at $T=0.7$.
"""


def test_table_rows_that_count_iterations_first_and_sampling_settings_in_latex(tmp_path):
    """"SFT + DPO (1 iter.)" names iteration 1 (its cells bound to the sample check's figures before); "4 samples for
    each of 1,000 problems" is samples per problem and leaves "1,000 problems" to the 1,000; "$T=0.7$" is the
    temperature (0.7 was a mismatch against samples per problem). A wrong cell is still caught."""
    _persons_run(tmp_path)
    run = tmp_path / "runs" / "run1"
    (run / "config.yaml").write_text((run / "config.yaml").read_text() + "sample: {samples_per_problem: 4, temperature: 0.7}\n"
                                     "dpo_problems: 1000\n")
    for k in (1, 2):
        (run / f"dpo_iter{k}" / "check.json").write_text(json.dumps({
            "step_validity": rate(780 + k, 1100), "trace_validity": rate(170 + k, 300), "samples_per_problem": 4}))
    claims, report = _check(tmp_path, tmp_path / "runs", HUMAN_ROWS_TEX, ".tex")
    assert len(claims) == 12 and {"4", "0.7"} <= dict(claims).keys() and \
        all(s == "verified" for t, s in claims if t != "1,000"), [
        (c["text"], c["status"], r) for c, r in zip(report["claims"], report["rules"]) if c["status"] != "verified"]
    assert dict(claims)["1,000"] != "mismatch"  # a count several files hold (pairs.json, the config) binds loosely
    claims, _ = _check(tmp_path, tmp_path / "runs", HUMAN_ROWS_TEX.replace("& 72.1 &", "& 72.6 &"), ".tex")
    assert ("72.6", "mismatch") in claims


METHODS_BY_DATASET = """\
method,dataset,accuracy,step_validity,n
SFT,PrOntoQA,0.598,0.262,1000
Ours iter1,PrOntoQA,0.688,0.640,1000
Ours iter2,PrOntoQA,0.731,0.905,1000
SFT,ProofWriter,0.542,0.188,400
Ours iter2,ProofWriter,0.603,0.611,400
"""
ABLATION_PROSE = """# Results

On PrOntoQA, step validity climbs from 26.2% after SFT to 90.5% after two iterations; accuracy improves by 13.3
points. Most of it comes in the first iteration (+37.8 points of step validity).

On ProofWriter the lift is smaller but clear: step validity goes from 18.8% to 61.1% and accuracy from 54.2% to 60.3%.

Dropping the verifier hurts: step validity falls to 47.5% (accuracy 66.1%), whereas training on gold proofs gives
85.0%.
"""


def test_a_persons_csv_of_methods_by_dataset_and_an_ablation_file(tmp_path):
    """Rows that repeat their first cell across datasets are told apart by the dataset; "from X to Y" with no stage
    named takes the first and last stage of the rows the sentence names (ProofWriter's); a difference with one stage
    is taken against the stage before it, on the same dataset, and one of a metric the sentence writes no numbers of
    ("; accuracy improves by 13.3 points") between the stages the sentence spans; "(accuracy 66.1%)" names its own number's metric, not
    47.5%'s; an ablation named by its clause ("the verifier") binds to that entry, so a wrong number there is a
    mismatch."""
    root = tmp_path / "results"
    root.mkdir()
    (root / "main.csv").write_text(METHODS_BY_DATASET)
    (root / "ablation.json").write_text(json.dumps({"no_verifier": {"step_validity": 0.475, "accuracy": 0.661},
                                                    "gold_proofs": {"step_validity": 0.850, "accuracy": 0.702}}))
    claims, report = _check(tmp_path, root, ABLATION_PROSE)
    assert dict(claims) == {"26.2%": "verified", "90.5%": "verified", "13.3 points": "verified", "+37.8 points": "verified",
                            "18.8%": "verified", "61.1%": "verified", "54.2%": "verified", "60.3%": "verified",
                            "47.5%": "verified", "66.1%": "verified", "85.0%": "verified"}, report["rules"]
    wrong = ABLATION_PROSE.replace("falls to 47.5%", "falls to 45.7%").replace("to 61.1%", "to 63.1%") \
        .replace("+37.8", "+35.8").replace("by 13.3", "by 14.3")
    claims, report = _check(tmp_path, root, wrong)
    status = dict(claims)
    assert status["45.7%"] == "mismatch" and status["63.1%"] != "verified" and status["+35.8 points"] != "verified"
    assert status["14.3 points"] == "mismatch"  # accuracy's own two stages, not step validity's numbers beside it
    assert status["66.1%"] == "verified"
    assert next(c["source"] for c in report["claims"] if c["text"] == "63.1%") == "main.csv:Ours iter2/ProofWriter.step_validity"


def _all_verified_then_planted(tmp_path, root, text, n, old, new, suffix=".md") -> dict:
    """Check that all n numbers of the text verify, then plant one error (old -> new); the statuses of the second."""
    claims, report = _check(tmp_path, root, text, suffix)
    assert [s for _, s in claims] == ["verified"] * n, list(zip(claims, report["rules"]))
    return dict(_check(tmp_path, root, text.replace(old, new), suffix)[0])


def test_a_long_format_csv_a_log_numbered_by_iteration_and_a_list_over_the_rounds(tmp_path):
    """A CSV with one metric per row (run, stage, metric, value), a JSON Lines log whose records are numbered by an
    `iteration` field, and "X, Y and finally Z" over the DPO rounds: each number of the list takes its round in order;
    "1,720 pairs" is the `pairs` of that iteration's record, not `problems_with_pairs`. A wrong list entry is not
    verified."""
    root = tmp_path / "results"
    root.mkdir()
    rows = [("sft", 0.655, 0.301), ("dpo-1", 0.701, 0.688), ("dpo-2", 0.737, 0.874), ("dpo-3", 0.752, 0.936)]
    (root / "long.csv").write_text("run,stage,metric,value\n" + "".join(
        f"main,{stage},accuracy,{acc}\nmain,{stage},step_validity,{sv}\n" for stage, acc, sv in rows))
    (root / "pair_counts.jsonl").write_text("".join(json.dumps({"iteration": k, "pairs": p, "problems_with_pairs": n}) + "\n"
                                                    for k, p, n in ((1, 1720, 866), (2, 1302, 671), (3, 598, 310))))
    text = ("Our SFT model answers 65.5% of the test problems, yet only 30.1% of its steps are valid. Each DPO round "
            "helps: step validity reaches 68.8%, 87.4% and finally 93.6%.\n\nThe pairs thin out as the model improves, "
            "from 1,720 pairs in round 1 to 598 in round 3 (310 problems).\n")
    planted = _all_verified_then_planted(tmp_path, root, text, 8, "87.4%", "86.4%")
    assert planted["86.4%"] != "verified" and planted["93.6%"] == "verified"


def test_a_methods_by_metrics_table_with_seed_std_and_a_sentence_over_sft(tmp_path):
    """Methods as columns with "mean ± std" cells; "Averaged over 3 seeds" is a count, not a bound ("more than 3"); a
    difference followed by its pair in brackets ("by 60.5 points over SFT (27.1% → 87.6%)") takes that pair, not the
    number before "over SFT"; the second of a pair after SFT is the other method's; "1,000 test problems" binds
    though the sentence names SFT. The two false mismatches this had are gone; a wrong difference is still one."""
    root = tmp_path / "results"
    root.mkdir()
    (root / "summary.json").write_text(json.dumps({
        "sft": {"step_validity": {"mean": 0.271, "std": 0.014}, "accuracy": {"mean": 0.602, "std": 0.011}},
        "ours": {"step_validity": {"mean": 0.876, "std": 0.019}, "accuracy": {"mean": 0.744, "std": 0.013}},
        "seeds": 3, "test_problems": 1000}))
    text = ("| Metric | SFT | Ours |\n|---|---|---|\n| Step validity (%) | 27.1 ± 1.4 | **87.6 ± 1.9** |\n"
            "| Accuracy (%) | 60.2 ± 1.1 | **74.4 ± 1.3** |\n\nAveraged over 3 seeds on 1,000 test problems, our method "
            "improves step validity by 60.5 points over SFT (27.1% → 87.6%), a 3.2× increase.\n")
    assert _all_verified_then_planted(tmp_path, root, text, 14, "by 60.5", "by 62.5")["62.5 points"] == "mismatch"


MULTIROW_TEX = r"""\begin{table}[t]
\caption{Main results. Acc.\ = answer accuracy, SV = step validity, TV = trace validity (all in \%).}
\begin{tabular}{llccc}
\toprule
Dataset & Model & Acc. & SV & TV \\
\midrule
\multirow{2}{*}{PrOntoQA} & SFT & 70.6 & 25.1 & 16.3 \\
 & + DPO (3 iter.) & \textbf{79.9} & \textbf{94.8} & \textbf{89.7} \\
\midrule
\multirow{2}{*}{FOLIO} & SFT & 52.2 & 18.4 & 7.9 \\
 & + DPO (3 iter.) & \textbf{58.7} & \textbf{70.0} & \textbf{49.3} \\
\bottomrule
\end{tabular}
\end{table}
"""


def test_a_latex_table_with_multirow_datasets_a_model_column_and_abbreviated_headers(tmp_path):
    """A dataset in a \\multirow cell and the model in a second text cell ("+ DPO (3 iter.)", whose 3 is a label, not
    a value); headers abbreviated and spelled out in the caption ("SV = step validity"); one JSON per dataset and
    model. Every cell binds to its dataset and stage (the DPO row's cells were called mismatches against SFT's, SV and
    TV were unsupported); a wrong cell is still a mismatch."""
    root = tmp_path / "results"
    for dataset, rows in (("prontoqa", ((0.706, 0.251, 0.163), (0.799, 0.948, 0.897))),
                          ("folio", ((0.522, 0.184, 0.079), (0.587, 0.700, 0.493)))):
        (root / dataset).mkdir(parents=True)
        for name, (acc, sv, tv) in zip(("sft", "dpo3"), rows):
            (root / dataset / f"{name}.json").write_text(json.dumps(
                {"model": f"qwen-{name}", "metrics": {"acc": acc, "step_valid": sv, "trace_valid": tv}}))
    planted = _all_verified_then_planted(tmp_path, root, MULTIROW_TEX, 12, "{94.8}", "{95.8}", ".tex")
    assert planted["95.8"] == "mismatch" and list(planted.values()).count("verified") == 11


def test_trainer_eval_folders_and_a_paragraph_that_counts_rounds(tmp_path):
    """HF-style `eval_results.json` in folders named after stages; "the first DPO round brings it to X and the second
    to Y", "(A → B → C)" over three stages and "to Z at the end": three correct numbers were called mismatches here
    (the second round read as the first, the chain as two pairs). None is now; the rounds and the chain (in stage order,
    the SFT folder's extra name `final` notwithstanding) verify."""
    root = tmp_path / "out"
    for name, acc, sv, tv in (("sft-final", 0.64, 0.352, 0.231), ("dpo-round-1", 0.69, 0.598, 0.437),
                              ("dpo-round-2", 0.722, 0.797, 0.641)):
        (root / name).mkdir(parents=True)
        (root / name / "eval_results.json").write_text(json.dumps(
            {"eval_accuracy": acc, "eval_step_validity": sv, "eval_trace_validity": tv, "eval_samples": 800}))
    text = ("After SFT the model reaches 64.0% accuracy with a step validity of 35.2%. The first DPO round brings step "
            "validity to 59.8% and the second to 79.7%; trace validity follows (23.1% → 43.7% → 64.1%). Accuracy "
            "improves more slowly, to 72.2% at the end.\n")
    claims, report = _check(tmp_path, root, text)
    status = dict(claims)
    assert "mismatch" not in status.values(), list(zip(claims, report["rules"]))
    assert all(status[t] == "verified" for t in ("64.0%", "35.2%", "59.8%", "79.7%", "23.1%", "43.7%", "64.1%",
                                                 "72.2%")), report["rules"]
    assert dict(_check(tmp_path, root, text.replace("to 79.7%", "to 78.7%"))[0])["78.7%"] == "mismatch"


def test_a_run_export_with_one_row_per_seed_and_a_table_of_means(tmp_path):
    """An experiment tracker's export: one CSV row per run (`sokrates-sft-seed0`, ...), or rows told apart only by a
    `seed` column. The seeds' mean and std of each metric are what a table of "mean ± std over 3 seeds" and a
    sentence that names no seed mean ("over 3 seeds" is a count, not a bound); a sentence naming seed 0 takes that
    run. "19.0 and 7.7 points" shares its unit. A wrong mean is a mismatch, not "ambiguous" among the seeds."""
    runs = {"sft": [(0.643, 0.289), (0.646, 0.281), (0.656, 0.288)], "dpo-iter1": [(0.69, 0.71), (0.707, 0.69), (0.706, 0.695)]}
    text = ("| | Acc. | Step val. |\n|---|---|---|\n| SFT | 64.8 ± 0.7 | 28.6 ± 0.4 |\n| + DPO (iter. 1) | 70.1 ± 1.0 | 69.8 ± 1.0 |\n\n"
            "Table 1: Accuracy and step validity (%, mean ± std over 3 seeds).\n\n"
            "Averaged over seeds, step validity climbs from 28.6% to 69.8% in one iteration (+41.2 points). Seed 0 "
            "alone goes from 28.9% after SFT to 71.0% after the first iteration.\n")
    for layout, header, row in (("named", "Name,State,eval/accuracy,eval/step_validity",
                                 lambda stage, k, acc, sv: f"sokrates-{stage}-seed{k},finished,{acc},{sv}"),
                                ("column", "stage,seed,eval/accuracy,eval/step_validity",
                                 lambda stage, k, acc, sv: f"{stage},{k},{acc},{sv}")):
        root = tmp_path / layout
        root.mkdir()
        (root / "runs.csv").write_text("\n".join([header] + [row(stage, k, acc, sv) for stage, seeds in runs.items()
                                                             for k, (acc, sv) in enumerate(seeds)]) + "\n")
        planted = _all_verified_then_planted(tmp_path, root, text, 14, "| 28.6 ±", "| 26.8 ±")
        assert planted["26.8"] == "mismatch" and planted["28.6%"] == "verified"


def test_siunitx_percentages_an_error_rate_and_counts_named_by_the_words_after_them(tmp_path):
    """`\\SI{41.1}{\\percent}` is a percentage; "the error rate of individual steps" is 1 − step validity; "from 3,412
    in the first iteration to 702 in the third": the stage named right after each number is its own (the pair's
    reading had made 702 a mismatch against iteration 1); "X reaches ... but only 41.1% step validity": the method
    named in the sentence's other clause picks its row among the DPO entries. Wrong numbers are not verified."""
    root = tmp_path / "results"
    root.mkdir()
    (root / "summary.json").write_text(json.dumps({"results": {
        "sft": {"accuracy": 0.6842, "step_validity": 0.3117},
        "dpo": [{"iteration": 1, "accuracy": 0.7225, "step_validity": 0.7433, "pairs": 3412},
                {"iteration": 2, "accuracy": 0.7467, "step_validity": 0.905, "pairs": 1877},
                {"iteration": 3, "accuracy": 0.7583, "step_validity": 0.9617, "pairs": 702}]},
        "baselines": {"outcome_reward_dpo": {"accuracy": 0.7392, "step_validity": 0.4108}}}))
    text = ("\\section{Results}\nOutcome-reward DPO reaches a similar accuracy but only \\SI{41.1}{\\percent} step "
            "validity. After SFT, the error rate of individual steps is 68.8\\%. The number of preference pairs shrinks "
            "from 3{,}412 in the first iteration to 702 in the third.\n")
    planted = _all_verified_then_planted(tmp_path, root, text, 4, "\\SI{41.1}", "\\SI{44.1}", suffix=".tex")
    assert planted["44.1%"] != "verified"
    planted = dict(_check(tmp_path, root, text.replace("68.8\\%", "69.8\\%").replace("to 702", "to 720"), ".tex")[0])
    assert planted["69.8%"] != "verified" and planted["720"] == "mismatch" and planted["3,412"] == "verified"


def test_a_sweep_grid_whose_runs_are_named_by_their_settings(tmp_path):
    """A β x learning-rate grid (corner "β \\ lr", numbers as row labels and column headers, the metric named only in
    a caption below the table) over runs named by their folders (`beta0.1_lr5e-6/`) or by a config beside their
    results (`run_01/config.json`); "(β = 0.1, lr = 5e-6) reaches 81.3%, 7.9 points above our default (β = 0.1,
    lr = 1e-6)" takes each setting named nearest the number and the default's run for the difference. A wrong cell
    is a mismatch."""
    grid = {("0.1", "1e-6"): 0.734, ("0.1", "5e-6"): 0.813, ("0.5", "1e-6"): 0.652, ("0.5", "5e-6"): 0.741}
    text = ("| β \\ lr | 1e-6 | 5e-6 |\n|---|---|---|\n| 0.1 | 73.4 | 81.3 |\n| 0.5 | 65.2 | 74.1 |\n\n"
            "*Table 3: Step validity (%) after one DPO iteration.*\n\n"
            "The best setting (β = 0.1, lr = 5e-6) reaches 81.3% step validity, 7.9 points above our default "
            "(β = 0.1, lr = 1e-6).\n")
    for layout in ("folders", "configs"):
        root = tmp_path / layout
        for i, ((beta, lr), sv) in enumerate(grid.items()):
            run = root / (f"beta{beta}_lr{lr}" if layout == "folders" else f"run_{i:02d}")
            run.mkdir(parents=True)
            (run / "eval.json").write_text(json.dumps({"step_validity": sv, "n": 1000}))
            if layout == "configs":
                (run / "config.json").write_text(json.dumps({"beta": float(beta), "learning_rate": float(lr)}))
        claims, report = _check(tmp_path, root, text)
        results = [(t, status) for t, status in claims if not re.fullmatch(r"0\.[15]|[15]e-6", t)]  # the settings
        assert [status for _, status in results] == ["verified"] * 6, list(zip(claims, report["rules"]))
        assert all(status != "mismatch" for _, status in claims)  # the folder layout holds no setting as a number
        planted = dict(_check(tmp_path, root, text.replace("| 65.2 |", "| 56.2 |"))[0])
        assert planted["56.2"] == "mismatch"


def test_counts_written_beside_rates_are_the_rates_k_and_n(tmp_path, metrics):
    """"answers 223 correctly", "1,200 of its 2,000 steps are valid", "after one round of DPO ... 1,500 valid steps":
    a whole number bound to a rate is a count of it (its k or n), never compared with the rate itself (each was a
    false mismatch). A wrong k of the rate's n is a mismatch; another wrong count is not verified."""
    text = ("On the 300 test problems, the SFT model answers 223 correctly (0.74) and 1,200 of its 2,000 steps are "
            "valid. After one round of DPO it answers 240 correctly, with 1,500 valid steps.\n")
    claims, report = _check(tmp_path, metrics, text)
    assert [s for _, s in claims] == ["verified"] * 7, list(zip(claims, report["rules"]))
    planted = dict(_check(tmp_path, metrics, text.replace("1,200 of", "1,020 of").replace("240 correctly", "204 correctly"))[0])
    assert planted["1,020"] == "mismatch" and planted["204"] != "verified"


def test_a_paragraph_about_one_round_and_the_words_people_use_for_checks_and_depths(tmp_path):
    """"Before the first DPO round we sample 4 traces for each of 1,000 problems ...; 98.0% are well-formed. Only 438
    problems yield a pair": a number of a later sentence that only per-round files hold takes the round the paragraph
    named (a guess: a wrong one is not verified, and the other round's value does not verify it); "traces for each"
    is samples per problem, "well-formed" the format validity, and "3-hop problems" names the depth, not a result."""
    root = tmp_path / "runs"
    for k, (pairs, with_pairs, fmt) in {1: (552, 438, 0.9802), 2: (572, 455, 0.9851)}.items():
        (root / f"dpo_iter{k}").mkdir(parents=True)
        (root / f"dpo_iter{k}" / "pairs.json").write_text(json.dumps({"pairs": pairs, "problems_with_pairs": with_pairs}))
        (root / f"dpo_iter{k}" / "check.json").write_text(json.dumps(
            {"n_problems": 1000, "samples_per_problem": 4, "format_validity": fmt}))
    (root / "sft" / "eval").mkdir(parents=True)
    (root / "sft" / "eval" / "summary.json").write_text(json.dumps(
        {"by_hops": {"2": {"step_validity": rate(162, 231)}, "3": {"step_validity": rate(262, 333)}}}))
    text = ("Before the first DPO round we sample 4 traces for each of 1,000 training problems; 98.0% of them are "
            "well-formed. Only 438 problems yield a preference pair, and they give 552 pairs.\n\n"
            "The SFT model is most reliable on 3-hop problems (78.7% of steps are valid) and least on 2-hop ones (70.1%).\n")
    claims, report = _check(tmp_path, root, text)
    assert [s for _, s in claims] == ["verified"] * 7, list(zip(claims, report["rules"]))
    planted = dict(_check(tmp_path, root, text.replace("438 problems", "455 problems").replace("(70.1%)", "(71.0%)"))[0])
    assert planted["455"] != "verified" and planted["71.0%"] == "mismatch"


def test_a_table_with_metrics_as_rows_and_a_caption_naming_the_test_set(tmp_path):
    """Stages as columns, metrics as rows, a caption "on 300 test problems": the caption's nouns say what the table was
    measured on, not which key a cell is ("Preference pairs" is `pairs`, not `problems_with_pairs`); "Eval time (s)"
    is a wall time, and a run's settings in its files (`temperature: 0`) do not make the training summary's wall time
    the nearer source: an evaluation's 14.1 s is never called wrong against training's 0.0 s."""
    root = tmp_path / "runs"
    for stage, (acc, pairs, eval_s, train_s) in {"sft": (0.7233, None, 14.1, 0.0), "dpo_iter1": (0.7567, 552, 15.2, 67.4)}.items():
        (root / stage / "eval").mkdir(parents=True)
        (root / stage / "eval" / "summary.json").write_text(json.dumps(
            {"accuracy": acc, "temperature": 0, "n_problems": 300, "wall_s": eval_s}))
        (root / stage / "summary.json").write_text(json.dumps({"stage": stage, "wall_s": train_s}))
        if pairs:
            (root / stage / "pairs.json").write_text(json.dumps({"pairs": pairs, "problems_with_pairs": 438}))
    text = ("| Metric | SFT | DPO iter. 1 |\n|---|---|---|\n| Accuracy (%) | 72.3 | 75.7 |\n| Preference pairs | – | 552 |\n"
            "| Eval time (s) | 14.1 | 15.2 |\n\nTable 2: Metrics by stage on 300 test problems.\n")
    claims = dict(_check(tmp_path, root, text)[0])
    assert [claims[t] for t in ("72.3", "75.7", "552", "300")] == ["verified"] * 4, claims
    assert claims["14.1"] != "mismatch" and claims["15.2"] != "mismatch"
    assert dict(_check(tmp_path, root, text.replace("| 552 |", "| 525 |"))[0])["525"] == "mismatch"
