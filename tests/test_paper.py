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
