"""The pipeline's own loop (no agent) at tiny sizes: files, metrics schema, skipping, bad input."""
import json
import subprocess
import sys

import pytest

from sokrates.io import DataError
from sokrates.loop import LoopConfig, Run
from tests.conftest import TINY


def sokrates(*args):
    return subprocess.run([sys.executable, "-m", "sokrates", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_loop_writes_every_file_and_a_rerun_skips_everything(tmp_path):
    out = sokrates("loop", "-w", str(tmp_path), "--config", str(TINY), "--proceed")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    run = tmp_path / "runs" / "run1"
    for stage in ("sft", "dpo_iter1"):
        summary = json.loads((run / stage / "eval" / "summary.json").read_text())
        for m in ("accuracy", "step_validity", "trace_validity"):
            r = summary[m]
            assert set(r) == {"value", "k", "n", "ci95_low", "ci95_high"} and r["ci95_low"] <= r["value"] <= r["ci95_high"]
        assert summary["by_hops"] and summary["n_problems"] == 8
        metrics = [json.loads(x) for x in (run / stage / "metrics.jsonl").read_text().splitlines()]
        assert any("loss" in m and "learning_rate" in m and "grad_norm" in m for m in metrics)
    samples = [json.loads(x) for x in (run / "dpo_iter1" / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 16 and all("steps" in s and "valid" in s for s in samples)
    dpo = json.loads((run / "dpo_iter1" / "summary.json").read_text())
    assert dpo["pairs"] >= 1 and dpo["pair_report"]["pairs"] == dpo["pairs"]
    assert (run / "dpo_iter1" / "examples.md").read_text().startswith("# Example traces")
    again = sokrates("loop", "-w", str(tmp_path), "--config", str(TINY), "--proceed")
    assert again.returncode == 0 and "[run]" not in again.stdout and again.stdout.count("[skip]") >= 9


def test_failed_sample_check_stops_the_loop_with_exit_3(tmp_path):
    out = sokrates("loop", "-w", str(tmp_path), "--config", str(TINY))
    assert out.returncode == 3 and "sample check failed" in out.stderr
    assert not (tmp_path / "runs" / "run1" / "dpo_iter1" / "model").exists()
    assert (tmp_path / "runs" / "run1" / "sft" / "model").exists()  # earlier outputs stay


def test_missing_model_dir_and_mismatched_tokenizer_are_clear_errors(tmp_path):
    out = sokrates("sft", "-w", str(tmp_path), "--model", str(tmp_path / "nope"))
    assert out.returncode == 2 and "not a model folder" in out.stderr and "Traceback" not in out.stderr
    from sokrates.model import TinyModelConfig, init_tiny_model, load_model, load_tokenizer
    small = init_tiny_model(tmp_path / "small", TinyModelConfig(hidden_size=16, layers=1, heads=2, intermediate_size=32,
                                                                 tokenizer_corpus=50, vocab_size=300))
    big = init_tiny_model(tmp_path / "big", TinyModelConfig(hidden_size=16, layers=1, heads=2, intermediate_size=32,
                                                             tokenizer_corpus=400, vocab_size=700))
    with pytest.raises(DataError, match="do not belong together"):
        load_model(small, tokenizer=load_tokenizer(big))


def test_empty_pair_set_is_refused_and_keeps_earlier_outputs(tmp_path):
    import yaml
    cfg = LoopConfig.from_dict({**yaml.safe_load(TINY.read_text()), "gold_chosen_fallback": False})
    run = Run(tmp_path, cfg, log=lambda m: None)
    run.save_config()
    run.base_model()
    run.data()
    run.sft()
    run.sample(1)
    report = run.pairs(1)
    assert report["pairs"] == 0 and report["problems_without_valid_sample"] == report["problems"]
    with pytest.raises(DataError, match="pair set is empty"):
        run.dpo(1)
    assert (tmp_path / "runs" / "run1" / "sft" / "model" / "config.json").exists()
    assert not (tmp_path / "runs" / "run1" / "dpo_iter1" / "dpo.manifest.json").exists()


def test_a_step_running_in_another_process_is_a_clear_error_not_a_second_writer(tmp_path):
    import multiprocessing as mp

    import pytest

    from sokrates.io import DataError
    from sokrates.stages import run_step, step_lock
    ready, release = mp.Event(), mp.Event()

    def hold():
        with step_lock(tmp_path / "sft", "sft"):
            ready.set()
            release.wait(30)
    holder = mp.get_context("fork").Process(target=hold)
    holder.start()
    assert ready.wait(30)
    ran = []
    with pytest.raises(DataError, match=r"step sft is running in process \d+"):
        run_step(tmp_path / "sft", "sft", {}, [], [], lambda: ran.append(1) or {}, log=lambda m: None)
    release.set()
    holder.join(30)
    assert ran == []
    assert run_step(tmp_path / "sft", "sft", {}, [], [], lambda: ran.append(1) or {"ok": 1}, log=lambda m: None) == {"ok": 1}


def test_a_damaged_manifest_means_the_step_runs_again(tmp_path):
    from sokrates.stages import manifest_path, run_step
    calls = []

    def step():
        calls.append(1)
        (tmp_path / "out.txt").write_text("x")
        return {"n": len(calls)}
    assert run_step(tmp_path, "s", {"a": 1}, [], [tmp_path / "out.txt"], step, log=lambda m: None) == {"n": 1}
    assert run_step(tmp_path, "s", {"a": 1}, [], [tmp_path / "out.txt"], step, log=lambda m: None) == {"n": 1}  # skipped
    for damage in ("{half a manifest", "[1, 2]", "\xff\xfe"):
        manifest_path(tmp_path, "s").write_text(damage, encoding="latin-1")
        assert run_step(tmp_path, "s", {"a": 1}, [], [tmp_path / "out.txt"], step, log=lambda m: None)["n"] == len(calls)
    assert len(calls) == 4


def test_a_run_from_the_shipped_checkpoint_copies_its_verified_weights_and_refuses_changed_ones(tmp_path):
    import shutil

    import yaml

    from agent.planner import checkpoint_note
    from sokrates.model import CHECKPOINTS, checkpoint_dir, verify_checkpoint
    shipped = checkpoint_dir("tiny-sft")
    assert shipped == CHECKPOINTS / "tiny-sft" and verify_checkpoint(shipped)["steps"] > 0
    assert "not trained in this session" in checkpoint_note("tiny-sft")
    cfg = LoopConfig.from_dict({**yaml.safe_load(TINY.read_text()), "sft_checkpoint": "tiny-sft"})
    run = Run(tmp_path, cfg, log=lambda m: None)
    run.base_model()
    run.data()  # checked with the checkpoint's own tokenizer and template
    summary = run.sft()
    model = run.model_of(0)
    assert summary["from_checkpoint"] == str(shipped) and summary["steps"] == verify_checkpoint(shipped)["steps"]
    assert (model / "model.safetensors").read_bytes() == (shipped / "model.safetensors").read_bytes()
    assert not (model / "checkpoint.json").exists()
    changed = tmp_path / "changed"
    shutil.copytree(shipped, changed)
    data = bytearray((changed / "model.safetensors").read_bytes())
    data[-1] ^= 1
    (changed / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(DataError, match="the weights changed"):
        Run(tmp_path, LoopConfig.from_dict({**cfg.to_dict(), "run_id": "r2", "sft_checkpoint": str(changed)}),
            log=lambda m: None).sft()
    with pytest.raises(DataError, match="not a shipped checkpoint"):
        checkpoint_dir(str(tmp_path / "nowhere"))


def test_numbers_in_settings_are_numbers_and_a_wrong_name_or_value_is_a_clear_error(tmp_path):
    """YAML reads `5e-5` (no dot) as a string; before, TRL's optimizer stopped with a TypeError traceback."""
    path = tmp_path / "c.yaml"
    path.write_text("dpo:\n  learning_rate: 5e-5\ndata:\n  n_train: '200'\n")
    cfg = LoopConfig.from_file(path)
    assert cfg.dpo.learning_rate == 5e-5 and cfg.data.n_train == 200 and isinstance(cfg.data.n_train, int)
    run = Run(tmp_path / "ws", LoopConfig())
    run.update({"sft.learning_rate": "2e-4", "sample.temperature": None})
    assert run.cfg.sft.learning_rate == 2e-4 and "learning_rate: 0.0002" in (run.dir / "config.yaml").read_text()
    with pytest.raises(DataError, match=r"config\.dpo\.learning_rate: 'fast' is not a number"):
        run.update({"dpo.learning_rate": "fast"})
    with pytest.raises(DataError, match=r"config\.dpo: unknown setting\(s\) \['lr'\]"):
        run.update({"dpo.lr": 1e-4})
    assert run.cfg.sft.learning_rate == 2e-4  # a refused update changes nothing


@pytest.mark.parametrize("text, message", [
    ("sft:\n  trace_style: fancy\n", r"c\.yaml: config\.sft\.trace_style: 'fancy' is not one of \['plain', "),
    ("sample:\n  backend: vlm\n", r"config\.sample\.backend: 'vlm' is not one of \['hf', 'hf_continuous', 'vllm', 'openai'\]"),
    ("eval:\n  backend: vlm\n", r"config\.eval\.backend: 'vlm' is not one of"),
    ("dpo:\n  scheduler: cosin\n", r"config\.dpo\.scheduler: 'cosin' is not one of \[.*'cosine'"),
    ("sft:\n  weights_dtype: bf16\n", r"config\.sft\.weights_dtype: 'bf16' is not one of \['float32', 'bfloat16', 'float16'\]"),
    ("sft: 5\n", r"config\.sft: a section of settings, not 5"),
    ("- a\n- b\n", r"c\.yaml: a config is a YAML mapping of settings, not a list"),
])
def test_a_setting_outside_its_choices_is_a_one_line_error_before_any_step(tmp_path, text, message):
    """Before, a mistyped trace style, backend or schedule passed the config check and stopped the run with a
    traceback at the step that used it (a sampling backend only after SFT had trained)."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        LoopConfig.from_file(path)


def test_the_choices_accept_every_allowed_value_and_an_empty_section(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("sft:\n  scheduler: cosine\n  trace_style: numbered\n  weights_dtype: bfloat16\n"
                    "sample:\n  backend: openai\neval:\ndpo:\n  scheduler: linear\n")
    cfg = LoopConfig.from_file(path)
    assert (cfg.sft.scheduler, cfg.sft.trace_style, cfg.sample.backend, cfg.dpo.scheduler) == \
        ("cosine", "numbered", "openai", "linear")
    assert cfg.eval == LoopConfig().eval
