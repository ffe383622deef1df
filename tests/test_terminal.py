"""What a person sees in the terminal: one start and one end line per step, no library output (it goes to the
step's log file, and to the terminal with -v), short gate lines under --yes, a summary at the end, and session logs
rendered without link targets."""
from tests.conftest import TINY, agent

NOISE = ("Warning", "warnings.warn", "it/s]", "{'loss'", "Tokenizing", "Loading weights", "Writing model shards")


def test_a_yes_session_prints_step_lines_and_no_library_output(tmp_path):
    out = agent(tmp_path, "start", "run iteration 1", "--yes", "--config", str(TINY))
    screen = out.stdout + out.stderr
    assert out.returncode == 0, screen[-3000:]
    assert not [n for n in NOISE if n in screen], screen
    lines = screen.strip().splitlines()
    assert len(lines) <= 45, screen
    for step in ("data", "sft", "eval (iteration 0)"):  # sft and its evaluation run twice: the retrain
        starts = [ln for ln in lines if f"▶ {step}  log: runs/run1/logs/" in ln]
        ends = [ln for ln in lines if f"✓ {step} done in" in ln]
        assert len(starts) == len(ends) == (1 if step == "data" else 2), screen
    assert "eval gate: The SFT model answers at chance" in screen and "→ retrain by --yes (recommended)" in screen
    assert "SFT again with 2 epochs instead of 1, evaluate, then go on" in screen  # what the option does
    assert "session summary" in screen and "accuracy: 0.000 [0.000, 0.324] (0/8) (SFT)" in screen
    sft_log = (tmp_path / "runs" / "run1" / "logs" / "sft.log").read_text()
    assert "FutureWarning" in sft_log or "loss" in sft_log  # the library output is kept, not lost


def test_verbose_shows_library_output(tmp_path):
    out = agent(tmp_path, "start", "run iteration 1", "--yes", "-v", "--config", str(TINY))
    assert out.returncode == 0 and any(n in out.stdout + out.stderr for n in NOISE)


def test_log_renders_for_a_terminal_unless_raw(finished_workspace):
    rendered = agent(finished_workspace, "log").stdout
    raw = agent(finished_workspace, "log", "--raw").stdout
    assert "](../runs/" in raw and "](../runs/" not in rendered and "accuracy" in rendered
