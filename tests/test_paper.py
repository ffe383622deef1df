"""The drafted setup table says what the run did: no SFT settings the run did not use, the DPO loss when it is not
plain DPO."""
import yaml

from agent.paper import setup_table
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


def test_a_first_draft_starts_from_the_repository_paper_skeleton_and_checks_out(tmp_path):
    """paper/ at the repository root is the skeleton: the first draft of a workspace copies its blocks, title and
    README, fills the LaTeX template's rows, and every number of both files verifies against the metrics."""
    import json
    from agent.claims import check_paths
    from agent.paper import SKELETON, draft_results
    from sokrates.metrics import rate
    run = tmp_path / "runs" / "r7"
    (run / "config.yaml").parent.mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(LoopConfig(run_id="r7").to_dict()))
    for stage, k in (("sft", 150), ("dpo_iter1", 190)):
        (run / stage / "eval").mkdir(parents=True)
        (run / stage / "eval" / "summary.json").write_text(json.dumps(
            {"stage": stage, "model": str(run / stage / "model"), "n_problems": 300, "accuracy": rate(k, 300),
             "step_validity": rate(k * 3, 1000), "trace_validity": rate(k - 60, 300)}))
    (run / "dpo_iter1" / "check.json").write_text(json.dumps({"accuracy": rate(900, 4000),
                                                              "step_validity": rate(2000, 9000)}))
    out = draft_results(tmp_path, "r7")
    text, tex = out.read_text(), (out.parent / "results_table.tex").read_text()
    assert text.startswith("# Results (r7)") and (out.parent / "README.md").read_text() == \
        (SKELETON / "README.md").read_text()
    blocks = [line.split()[2] for line in text.splitlines() if line.startswith("<!-- sokrates:begin")]
    assert blocks == ["setup-table", "results-table", "results-narrative", "limitations"]
    assert "%% sokrates:rows" not in tex and tex.count(r"\\") == 3 and r"+\, DPO iter1 & 0.633" in tex
    report = check_paths([out, out.parent / "results_table.tex"], tmp_path / "runs")
    assert report["summary"]["mismatch"] == report["summary"]["unsupported"] == 0 and report["summary"]["verified"] > 20
