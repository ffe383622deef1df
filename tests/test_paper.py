"""The drafted setup table says what the run did: no SFT settings the run did not use, the DPO loss when it is not
plain DPO."""
import json

import yaml

from agent.paper import setup_table
from sokrates.metrics import rate
from sokrates.loop import LoopConfig


def _table(tmp_path, cfg: LoopConfig) -> str:
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    return setup_table(tmp_path, lambda value, path, key, fmt: fmt.format(value))


def test_a_run_from_a_shipped_checkpoint_lists_no_sft_settings_of_its_own(tmp_path):
    trained = _table(tmp_path, LoopConfig())
    assert "| SFT epochs |" in trained and "SFT model" not in trained and "DPO loss" not in trained
    cfg = LoopConfig(sft_checkpoint="tiny-sft")
    cfg.dpo.loss_type = ["sigmoid", "sft"]
    shipped = _table(tmp_path, cfg)
    assert "| SFT model | the shipped checkpoint tiny-sft" in shipped
    assert "| SFT epochs |" not in shipped and "| SFT learning rate |" not in shipped
    assert "| DPO loss | sigmoid + sft" in shipped and "| DPO beta |" in shipped


def _evaluated_run(workspace, ks=(150, 190)):
    """A run with an SFT and a DPO evaluation (accuracy k/300 each) and the sample check beside the DPO one."""
    run = workspace / "runs" / "r7"
    (run / "config.yaml").parent.mkdir(parents=True, exist_ok=True)
    (run / "config.yaml").write_text(yaml.safe_dump(LoopConfig(run_id="r7").to_dict()))
    for stage, k in zip(("sft", "dpo_iter1"), ks):
        (run / stage / "eval").mkdir(parents=True, exist_ok=True)
        (run / stage / "eval" / "summary.json").write_text(json.dumps(
            {"stage": stage, "model": str(run / stage / "model"), "n_problems": 300, "accuracy": rate(k, 300),
             "step_validity": rate(k * 3, 1000), "trace_validity": rate(k - 60, 300)}))
    (run / "dpo_iter1" / "check.json").write_text(json.dumps({"accuracy": rate(900, 4000),
                                                              "step_validity": rate(2000, 9000)}))


def test_a_first_draft_starts_from_the_repository_paper_skeleton_and_checks_out(tmp_path):
    """paper/ at the repository root is the skeleton: the first draft of a workspace copies its blocks, title and
    README, fills the LaTeX template's rows, and every number of both files verifies against the metrics."""
    from agent.claims import check_paths
    from agent.paper import SKELETON, draft_results
    _evaluated_run(tmp_path)
    out = draft_results(tmp_path, "r7")
    text, tex = out.read_text(), (out.parent / "results_table.tex").read_text()
    assert text.startswith("# Results (r7)") and (out.parent / "README.md").read_text() == \
        (SKELETON / "README.md").read_text()
    blocks = [line.split()[2] for line in text.splitlines() if line.startswith("<!-- sokrates:begin")]
    assert blocks == ["setup-table", "results-table", "results-narrative", "limitations"]
    assert "%% sokrates:rows" not in tex and tex.count(r"\\") == 3 and r"+\, DPO iter1 & 0.633" in tex
    report = check_paths([out, out.parent / "results_table.tex"], tmp_path / "runs")
    assert report["summary"]["mismatch"] == report["summary"]["unsupported"] == 0 and report["summary"]["verified"] > 20


def test_each_changed_draft_is_kept_as_a_version_with_its_claims_and_the_diff_names_the_numbers_that_moved(tmp_path):
    from agent.paper import draft_results, version_diff
    from tests.conftest import agent
    _evaluated_run(tmp_path)
    out = draft_results(tmp_path, "r7")
    draft_results(tmp_path, "r7")  # nothing changed: no new version
    versions = tmp_path / "paper" / "versions"
    assert sorted(p.name for p in versions.iterdir()) == ["results-001.claims.json", "results-001.md"]
    assert "a diff needs two" in version_diff(out.parent)
    _evaluated_run(tmp_path, ks=(150, 201))  # DPO's evaluation changed
    shown = agent(tmp_path, "draft", "--diff")
    assert shown.returncode == 0, shown.stderr
    assert (versions / "results-002.md").is_file()
    for n in ("001", "002"):  # each version's numbers verify where it lies (its links point two folders up)
        assert json.loads((versions / f"results-{n}.claims.json").read_text())["summary"]["mismatch"] == 0
    assert "r7/dpo_iter1/eval/summary.json:accuracy.value: 0.633 -> 0.670" in shown.stdout
    assert "r7/sft/eval/summary.json:accuracy.value" not in shown.stdout  # unchanged numbers are not listed
    assert "--- results-001.md" in shown.stdout and "\n+| + DPO iter1 | [0.670]" in shown.stdout
