"""Training paths beyond the loop's defaults: packed SFT must not let examples see each other."""
import json

import pytest
import torch

from sokrates.model import TinyModelConfig, init_tiny_model, load_model, load_tokenizer
from sokrates.problems import GeneratorConfig, generate
from sokrates.training import SFTSettings, run_sft

TINY = TinyModelConfig(hidden_size=32, layers=2, heads=2, intermediate_size=64, tokenizer_corpus=200, vocab_size=400)


@pytest.mark.parametrize("attention", ["sdpa", "flex_attention"])
def test_packed_rows_give_each_example_the_logits_it_gets_alone(tmp_path, attention):
    """Packing relies on transformers building a block-diagonal mask from position_ids (a document mask under
    FlexAttention) when no cache is in use (TRL trains with use_cache=False): two examples in one row must get the
    logits each gets alone."""
    model_dir = init_tiny_model(tmp_path / "m", TINY)
    tok = load_tokenizer(model_dir)
    model = load_model(model_dir, "cpu", attn_implementation=attention).eval()
    assert model.config._attn_implementation == attention
    a, b = (tok(p.prompt(), add_special_tokens=False)["input_ids"] for p in generate(GeneratorConfig(n=2, seed=1)))
    with torch.no_grad():
        alone = [model(input_ids=torch.tensor([ids]), use_cache=False).logits[0] for ids in (a, b)]
        positions = torch.tensor([list(range(len(a))) + list(range(len(b)))])
        packed = model(input_ids=torch.tensor([a + b]), position_ids=positions, use_cache=False).logits[0]
        unmasked = model(input_ids=torch.tensor([a + b]), use_cache=False).logits[0]
    assert torch.allclose(packed[: len(a)], alone[0], atol=1e-5)
    assert torch.allclose(packed[len(a):], alone[1], atol=1e-5)
    assert not torch.allclose(unmasked[len(a):], alone[1], atol=1e-3)  # the check can fail: b sees a without it


def test_packed_sft_puts_several_examples_in_a_row_and_learns(tmp_path):
    model_dir = init_tiny_model(tmp_path / "m", TINY)
    problems = generate(GeneratorConfig(n=32, seed=2, max_hops=2))
    packed = run_sft(model_dir, problems, tmp_path / "packed",
                     SFTSettings(epochs=1, batch_size=1, max_length=1024, logging_steps=1, packing=True))
    assert 1 < packed["steps"] < len(problems)  # one row a step, several examples in each row
    assert packed["final_loss"] < packed["first_loss"]
    saved = json.loads((tmp_path / "packed" / "model" / "config.json").read_text())
    assert saved["dtype"] == "float32"


def test_the_full_logits_loss_trains_like_trls_fused_loss_on_the_cpu(tmp_path):
    """The embedded model's SFT loss comes from the full logits (sft.full_logits_loss, on by default for it); on the
    CPU, where TRL's fused LM-head loss takes its exact torch path, the two must give the same losses step by step."""
    model_dir = init_tiny_model(tmp_path / "m", TINY)
    problems = generate(GeneratorConfig(n=12, seed=3, max_hops=2))
    losses = {}
    for full in (True, False):
        run_sft(model_dir, problems, tmp_path / str(full), SFTSettings(epochs=1, batch_size=4, logging_steps=1,
                                                                         full_logits_loss=full))
        rows = [json.loads(x) for x in (tmp_path / str(full) / "metrics.jsonl").read_text().splitlines()]
        losses[full] = [r["loss"] for r in rows if "loss" in r]
    assert len(losses[True]) == 3 and "mean_token_accuracy" not in (tmp_path / "True" / "metrics.jsonl").read_text()
    assert losses[True] == pytest.approx(losses[False], rel=1e-4)
    assert losses[True][-1] < losses[True][0]


def test_dpo_gives_whole_traces_an_end_of_sequence_and_one_step_pairs_none(tmp_path):
    """A step pair's completions are one step of a longer trace: an EOS after them would teach the model to stop."""
    from transformers import TrainerCallback

    from sokrates.training import DPOSettings, run_dpo
    model_dir = init_tiny_model(tmp_path / "m", TINY)
    eos = load_tokenizer(model_dir).eos_token_id
    problem = generate(GeneratorConfig(n=1, seed=5))[0]
    step = {"prompt": problem.prompt(), "prefix": "", "chosen": "Thought: a.\n", "rejected": "Thought: b.\n",
            "open_end": True}
    pairs = [step, {"prompt": problem.prompt(), "chosen": "Thought: a.\n", "rejected": "Thought: b.\n"}]
    seen = {}

    class Peek(TrainerCallback):
        def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
            seen["rows"] = list(train_dataloader.dataset)

    run_dpo(model_dir, pairs, tmp_path / "dpo", DPOSettings(epochs=1, batch_size=2), callbacks=(Peek(),))
    open_row, whole_row = seen["rows"]
    assert open_row["chosen_ids"][-1] != eos and open_row["rejected_ids"][-1] != eos
    assert whole_row["chosen_ids"][-1] == eos and whole_row["rejected_ids"][-1] == eos
    assert whole_row["chosen_ids"][:-1] == open_row["chosen_ids"]


def test_liger_kernels_turn_compilation_off_and_the_trainer_gets_the_flag(tmp_path):
    """Measured on a GPU: dynamo fails on liger's kernels, so asking for them must not also compile."""
    from sokrates.training import _common_args
    args = _common_args(tmp_path, SFTSettings(use_liger_kernel=True, torch_compile=True), tmp_path)
    assert args["use_liger_kernel"] is True and args["torch_compile"] is False
    plain = _common_args(tmp_path, SFTSettings(torch_compile=True), tmp_path)
    assert plain["use_liger_kernel"] is False and plain["torch_compile"] is True
