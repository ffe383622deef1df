"""A full disk or a read-only folder in the middle of a step: one line for the user, earlier outputs intact, and a
re-run that continues from the finished steps. (Tests run as root, which ignores permissions, so both faults are the
OSError the operating system raises, injected into the pipeline's one writer.)"""
import errno
import json
import sys

import pytest

import sokrates.io
from sokrates.loop import LoopConfig, Run
from tests.conftest import TINY

FAULTS = [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")]


def _failing_on(name: str, code: int, reason: str, monkeypatch) -> None:
    """Every write of a file called `name` fails as the OS would; other writes go through."""
    real = sokrates.io._atomic_write

    def write(path, text):
        if path.name == name:
            raise OSError(code, reason, str(path))
        real(path, text)
    monkeypatch.setattr(sokrates.io, "_atomic_write", write)


@pytest.mark.parametrize("code,reason", FAULTS)
def test_a_failed_write_mid_step_keeps_finished_steps_and_the_rerun_continues(tmp_path, monkeypatch, code, reason):
    cfg = LoopConfig.from_file(TINY)
    run = Run(tmp_path, cfg, log=lambda m: None)
    run.save_config()
    run.base_model()
    init_manifest = next((run.dir / "base_model").glob("*.manifest.json"))
    before = init_manifest.read_text()
    with monkeypatch.context() as patch:
        _failing_on("check.json", code, reason, patch)
        with pytest.raises(OSError):
            run.data()
    assert not list((run.dir / "data").glob("*.manifest.json"))  # the data step is not done...
    assert not list((run.dir / "data").glob(".*.tmp"))            # ...and left no half-written file
    logs = []
    rerun = Run(tmp_path, cfg, log=logs.append)
    report = rerun.data()
    assert report["train"] > 0 and (run.dir / "data" / "check.json").is_file()
    rerun.base_model()
    assert init_manifest.read_text() == before and any("[skip] init" in m for m in logs)


@pytest.mark.parametrize("code,reason", FAULTS)
def test_the_cli_says_one_line_and_leaves_the_existing_file_as_it_was(tmp_path, monkeypatch, capsys, code, reason):
    from sokrates.cli import main
    out = tmp_path / "problems.jsonl"
    out.write_text('{"kept": true}\n')
    _failing_on(out.name, code, reason, monkeypatch)
    monkeypatch.setattr(sys, "argv", ["sokrates", "data", "generate", "--out", str(out), "--n", "3"])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1
    assert reason in err[0] and str(out) in err[0] and "re-run continues" in err[0]
    assert json.loads(out.read_text()) == {"kept": True}
