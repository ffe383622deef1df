"""Training paths beyond the loop's defaults: packed SFT must not let examples see each other."""
import json

import torch

from sokrates.model import TinyModelConfig, init_tiny_model, load_model, load_tokenizer
from sokrates.problems import GeneratorConfig, generate
from sokrates.training import SFTSettings, run_sft

TINY = TinyModelConfig(hidden_size=32, layers=2, heads=2, intermediate_size=64, tokenizer_corpus=200, vocab_size=400)


def test_packed_rows_give_each_example_the_logits_it_gets_alone(tmp_path):
    """Packing relies on transformers building a block-diagonal mask from position_ids under SDPA when no
    cache is in use (TRL trains with use_cache=False): two examples in one row must get the logits each gets alone."""
    model_dir = init_tiny_model(tmp_path / "m", TINY)
    tok = load_tokenizer(model_dir)
    model = load_model(model_dir, "cpu").eval()
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
