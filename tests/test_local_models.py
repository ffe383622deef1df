"""A user's own local model (issue: a GPT-2 whose long prompt template made TRL drop every example): the data
check reads what the trainer reads, names sft.max_length and the value that fits, and an unset max_length is
taken from the data, so SFT runs."""
import json
from pathlib import Path

import pytest

from sokrates.io import read_json
from sokrates.loop import LoopConfig, Run
from sokrates.model import TinyModelConfig, build_tokenizer, model_template



@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    """Random GPT-2s with the embedded tokenizer beside them and no template note: they get the long `solve`
    template, as a user's model folder would (its prompt alone is ~700 tokens with this tokenizer)."""
    from transformers import GPT2Config, GPT2LMHeadModel
    tok = build_tokenizer(TinyModelConfig())

    def make(positions: int):
        out = tmp_path_factory.mktemp(f"gpt2_{positions}")
        GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=1, n_head=2, n_positions=positions, vocab_size=len(tok),
                                   bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)).save_pretrained(out)
        tok.save_pretrained(out)
        assert model_template(out) == "solve"
        return out
    return make


def test_shared_forms_tokenizer_round_trips_and_gives_each_concept_one_token():
    from sokrates.model import _corpus
    tok = build_tokenizer(TinyModelConfig(shared_forms=True))
    texts = _corpus(200, 7)
    assert all(tok.decode(tok(t, add_special_tokens=False)["input_ids"]) == t for t in texts)
    forms = [tok.tokenize(s) for s in ("3. Kurpuses are dumpuses.", "Fae is a kurpus.", "Every kurpus is a dumpus.")]
    assert all("Ġkurpus" in f for f in forms) and "Ġdumpus" in forms[0]
    assert "ĠKurpuses" not in tok.get_vocab()


def _run(tmp_path, model, **sft) -> Run:
    cfg = LoopConfig.from_dict({"model": str(model), "data": {"n_train": 24, "n_test": 4, "max_hops": 2},
                                "sft": {"epochs": 1, "batch_size": 8, "logging_steps": 1, **sft}})
    run = Run(tmp_path, cfg, log=lambda m: None)
    run.save_config()
    return run


def _needed(summary: str, before: str) -> int:
    return int(summary.split(before)[1].split()[0])


def test_the_data_check_names_max_length_and_the_value_that_fits(tmp_path, gpt2):
    report = _run(tmp_path, gpt2(1024), max_length=512).data()
    summary = report["findings"][0]
    assert report["errors"] >= 1 and "24 of 24 examples exceed sft.max_length=512" in summary
    assert "24 of them with the prompt alone, so training would drop them" in summary
    assert 512 < _needed(summary, "Fix: set sft.max_length: ") <= 1024


def test_a_model_with_too_few_positions_stops_before_sft_with_the_length_needed(tmp_path, gpt2):
    summary = _run(tmp_path, gpt2(768)).data()["findings"][0]  # the GPT-2: n_positions 768
    assert "the model holds only 768 positions, fewer than the " in summary
    assert _needed(summary, "fewer than the ") > 768


def test_an_unset_max_length_comes_from_the_data_and_sft_runs(tmp_path, gpt2):
    run = _run(tmp_path, gpt2(1024))
    assert run.data()["errors"] == 0
    summary = run.sft()
    assert summary["max_length_from_data"] and 512 < summary["max_length"] <= 1024
    assert summary["steps"] == 3 and (run.stage_dir("sft") / "model" / "config.json").is_file()
    assert json.loads((run.stage_dir("sft") / "model" / "sokrates_model.json").read_text())["trace_style"] == "plain"
    assert read_json(run.stage_dir("sft") / "summary.json")["examples"] == 24


CHAT_TEMPLATE = ("{% for m in messages %}<|bos|>{{ m['role'] }}\n{{ m['content'] }}<|eos|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|bos|>assistant\n{% if not enable_thinking %}(no thinking)\n{% endif %}"
                 "{% endif %}")


def test_a_qwen3_with_a_chat_template_and_sliding_window_trains_and_evaluates(tmp_path):
    """Another architecture (Qwen3, grouped-query attention, a sliding window) whose tokenizer has a chat template
    with a thinking switch: SFT trains on the templated prompt and evaluation samples with the same one."""
    from transformers import Qwen3Config, Qwen3ForCausalLM

    from sokrates.model import format_prompt, load_tokenizer
    tok = build_tokenizer(TinyModelConfig())
    tok.chat_template = CHAT_TEMPLATE
    folder = tmp_path / "qwen"
    Qwen3ForCausalLM(Qwen3Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=2048,
                                 use_sliding_window=True, sliding_window=256, max_window_layers=1,
                                 pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                                 eos_token_id=tok.eos_token_id)).save_pretrained(folder)
    tok.save_pretrained(folder)
    prompt = format_prompt(load_tokenizer(folder), "Premises: ...")
    assert prompt.startswith("<|bos|>user\n") and prompt.endswith("assistant\n(no thinking)\n")
    run = _run(tmp_path / "ws", folder)
    assert run.data()["errors"] == 0
    assert run.sft()["steps"] == 3
    result = run.evaluate(0)
    assert result["n_problems"] == 4 and 0.0 <= result["accuracy"]["value"] <= 1.0


def test_a_users_gpt2_runs_the_agents_whole_loop_and_its_pairs_are_length_checked(tmp_path, gpt2):
    """The issue's case end to end: the miniature config with `model:` a local GPT-2 whose prompts are ~700 tokens.
    The agent's --yes session runs SFT, sampling, check, pairs, DPO and evaluation; the pairs report what DPO will
    read against the model's positions; with dpo.max_length below the longest pair the pairs gate stops the run and
    names the setting and the value that fits."""
    import yaml

    from agent import gates
    from tests.conftest import LOOP_DECISIONS, TINY, agent
    model = gpt2(1024)
    cfg = {**yaml.safe_load(TINY.read_text()), "model": str(model)}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "decisions.json").write_text(LOOP_DECISIONS)
    ws = tmp_path / "ws"
    out = agent(ws, "start", "run iteration 1", "--yes", "--decisions", str(tmp_path / "decisions.json"),
                "--config", str(tmp_path / "run.yaml"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    run_dir = ws / "runs" / "run1"
    assert (run_dir / "dpo_iter1" / "eval" / "summary.json").is_file()
    lengths = read_json(run_dir / "dpo_iter1" / "pairs.json")["lengths"]
    assert 512 < lengths["longest_tokens"] <= 1024 and lengths["limit"] == 1024 and lengths["too_long"] == 0
    log = next((ws / "sessions").glob("*.md")).read_text()
    assert f"**Model:** {model}" in log

    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    cfg["dpo"]["max_length"] = 400
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg))
    Run.open(ws, "run1", log=lambda m: None).pairs(1)  # the setting is part of the step's inputs: checked again
    q = gates.question("pairs", {"decisions": [], "plan": [], "cursor": 0}, run_dir, {"iteration": 1})
    assert q["recommended"] == "abort" and "dpo.max_length" in q["because"]
    assert any("exceed dpo.max_length=400" in w and f"set dpo.max_length: {lengths['longest_tokens']}" in w
               for w in q["warnings"]), q["warnings"]
    assert q["evidence"]["longest pair"].startswith(f"{lengths['longest_tokens']} tokens")


def test_the_embedded_tokenizer_is_the_shipped_checkpoints():
    """The shipped checkpoint's recipe builds its tokenizer from generated text: a change to that text (a new trace
    style, say) would make the recipe's model a different one."""
    from sokrates.model import load_tokenizer
    shipped = json.loads((Path(__file__).parents[1] / "checkpoints/tiny-sft/sokrates_model.json").read_text())["config"]
    tok = build_tokenizer(TinyModelConfig(**shipped))
    assert tok.get_vocab() == load_tokenizer(Path(__file__).parents[1] / "checkpoints/tiny-sft").get_vocab()
