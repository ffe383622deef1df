"""Models: the embedded default (a tiny Llama trained from scratch, with a BPE tokenizer built from
the generator's vocabulary) and any local Hugging Face causal LM. Nothing is fetched from a hub."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .io import DataError

META_FILE = "sokrates_model.json"  # which prompt template the model was trained with


@dataclass
class TinyModelConfig:
    hidden_size: int = 128
    layers: int = 3
    heads: int = 4
    intermediate_size: int = 384
    max_positions: int = 768
    vocab_size: int = 1024
    tokenizer_corpus: int = 3000   # generated problems the BPE tokenizer is trained on
    # numbers as tokens of their own ("12" alike after a newline, a space or a bracket), so a premise number in
    # the prompt and the same number in a trace are one token: copying an index is then an exact copy
    split_digits: bool = False
    # one token per word whatever its form: a capital letter becomes a marker before the lower-case word and a
    # plural "es" after "us" its own token ("Kurpuses" -> "kurpus" with markers), reversed exactly on decoding; so
    # "Kurpuses are ..." and "Fae is a kurpus" share the concept's token and finding a premise is an exact match
    shared_forms: bool = False
    seed: int = 0


def _corpus(n: int, seed: int) -> list[str]:
    from .problems import GeneratorConfig, generate
    from .traces import OPTIONS, action_text
    styles = ("plain", "numbered", "tagged")  # fixed, so that a new trace style does not change the tokenizer
    problems = generate(GeneratorConfig(n=n, seed=10_000 + seed, unknown_ratio=0.1))
    texts = [p.prompt() + p.target(styles[i % len(styles)]) for i, p in enumerate(problems)]
    texts += [action_text(o, list(range(len(k)))) for o, k in OPTIONS.items()]  # every option name
    return texts


CAPITAL, PLURAL = "\u2191", "\u00b7"  # the shared_forms markers; text containing them does not round-trip


def _shared_forms(tok) -> None:
    """Normalize capitals and plural "es" into marker tokens (TinyModelConfig.shared_forms) and undo it on decoding.
    A capital after a space puts its marker before the space, so the word keeps the space-prefixed token."""
    import string

    from tokenizers import Regex, decoders, normalizers
    norm = [normalizers.Replace(Regex(r"(?<=us)es\b"), PLURAL + "es")]
    undo = [decoders.ByteLevel(), decoders.Replace(PLURAL + "es", "es")]
    for upper in string.ascii_uppercase:
        lower = upper.lower()
        norm += [normalizers.Replace(Regex(" " + upper), f"{CAPITAL} {lower}"),
                 normalizers.Replace(Regex(f"(?<![A-Za-z {CAPITAL}]){upper}"), CAPITAL + lower)]
        undo += [decoders.Replace(f"{CAPITAL} {lower}", " " + upper), decoders.Replace(CAPITAL + lower, upper)]
    tok.normalizer = normalizers.Sequence(norm)
    tok.decoder = decoders.Sequence(undo)


def build_tokenizer(cfg: TinyModelConfig):
    """A byte-level BPE tokenizer (exact round trip) trained on generated problems and traces."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    tok = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.pre_tokenizer = (pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=False), byte_level])
                         if cfg.split_digits else byte_level)
    tok.decoder = decoders.ByteLevel()
    if cfg.shared_forms:
        _shared_forms(tok)
    special = ["<|pad|>", "<|bos|>", "<|eos|>"]
    trainer = trainers.BpeTrainer(vocab_size=cfg.vocab_size, special_tokens=special, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_corpus(cfg.tokenizer_corpus, cfg.seed), trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|pad|>", bos_token="<|bos|>", eos_token="<|eos|>")


def init_tiny_model(out_dir: str | Path, cfg: TinyModelConfig | None = None) -> Path:
    """Create the embedded default model (random weights) and its tokenizer, saved with save_pretrained."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = cfg or TinyModelConfig()
    out_dir = Path(out_dir)
    tokenizer = build_tokenizer(cfg)
    torch.manual_seed(cfg.seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=cfg.hidden_size, num_hidden_layers=cfg.layers,
                         num_attention_heads=cfg.heads, num_key_value_heads=cfg.heads,
                         intermediate_size=cfg.intermediate_size, max_position_embeddings=cfg.max_positions,
                         tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    (out_dir / META_FILE).write_text(json.dumps({"template": "solve_compact", "kind": "embedded",
                                                 "config": asdict(cfg)}, indent=2))
    return out_dir


CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
CHECKPOINT_FILE = "checkpoint.json"  # how a shipped checkpoint was made: command, config, data seed, sha256


def checkpoint_dir(name: str) -> Path:
    """A shipped SFT checkpoint: a folder path, or a name under the repository's checkpoints/."""
    path = Path(name) if Path(name).is_dir() else CHECKPOINTS / name
    if not (path / CHECKPOINT_FILE).is_file():
        known = sorted(p.name for p in CHECKPOINTS.glob("*") if (p / CHECKPOINT_FILE).is_file())
        raise DataError(f"{path}: not a shipped checkpoint (no {CHECKPOINT_FILE}). Fix: set sft_checkpoint to one of "
                        f"{known} or null (train SFT from scratch).")
    return path


def checkpoint_record(path: Path) -> dict:
    """What a shipped checkpoint's checkpoint.json says about how it was made."""
    return json.loads((path / CHECKPOINT_FILE).read_text())


def verify_checkpoint(path: Path) -> dict:
    """The checkpoint's record, after checking that its weights are the ones recorded (sha256)."""
    import hashlib
    record = checkpoint_record(path)
    digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    if digest != record["sha256"]:
        raise DataError(f"{path / 'model.safetensors'}: sha256 {digest[:12]}... is not the recorded "
                        f"{record['sha256'][:12]}...: the weights changed. Fix: restore the file (git checkout), or "
                        f"retrain it with `{record['command']}`.")
    return record


def check_model_dir(path: str | Path) -> Path:
    path = Path(path)
    if not (path / "config.json").is_file():
        raise DataError(f"{path}: not a model folder (no config.json). Fix: run `sokrates model init --out {path}` "
                        "or pass a local Hugging Face model folder.")
    try:
        json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{path / 'config.json'}: not valid JSON ({str(err).splitlines()[0][:80]}). Fix: restore the "
                        "model folder (re-run the step that saved it, or copy it again).") from None
    return path


def model_positions(path: str | Path) -> int | None:
    """How many positions a local model holds (max_position_embeddings / n_positions of its config.json)."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return None
    data = json.loads(config.read_text())
    return data.get("max_position_embeddings") or data.get("n_positions")


def load_tokenizer(path: str | Path):
    from transformers import AutoTokenizer
    path = check_model_dir(path)
    try:
        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: no usable tokenizer ({str(err).splitlines()[0][:100]}). "
                        "Fix: save the model's tokenizer in the same folder.") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(path: str | Path, device: str | None = None, tokenizer=None, dtype: str | None = None,
               attn_implementation: str = "sdpa"):
    """A local causal LM, by default in bf16 on GPU and fp32 on CPU; never from a hub. Under torchrun each rank
    loads it whole onto its own GPU (never device_map="auto"). With `tokenizer`, refuses a tokenizer whose ids
    the model's embedding cannot hold."""
    import torch
    from transformers import AutoModelForCausalLM

    from .distributed import init_distributed
    init_distributed()  # sets this rank's GPU, so "cuda" below means it
    path = check_model_dir(path)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = dtype or ("bfloat16" if device.startswith("cuda") else "float32")
    if dtype not in ("bfloat16", "float32", "float16"):
        raise DataError(f"unknown weights dtype {dtype!r}. Fix: use float32, bfloat16 or float16.")
    try:
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=getattr(torch, dtype),
                                                     attn_implementation=attn_implementation)
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: cannot load the model ({str(err).splitlines()[0][:120]}). "
                        "Fix: point to a complete local Hugging Face model folder.") from None
    if tokenizer is not None and len(tokenizer) > model.get_input_embeddings().num_embeddings:
        raise DataError(f"{path}: the tokenizer has {len(tokenizer)} tokens but the model's embedding only "
                        f"{model.get_input_embeddings().num_embeddings}: they do not belong together. "
                        "Fix: save the model's own tokenizer in its folder.")
    return model.to(device)


def _meta(path: str | Path) -> dict:
    meta = Path(path) / META_FILE
    return json.loads(meta.read_text()) if meta.is_file() else {}


def model_template(path: str | Path) -> str:
    """The prompt template a model was trained with: compact for the embedded model, else the full one."""
    return _meta(path).get("template", "solve")


def is_embedded(path: str | Path) -> bool:
    """Whether a model folder holds the embedded default (or a model trained from it)."""
    return _meta(path).get("kind") == "embedded"


def model_trace_style(path: str | Path) -> str:
    """The trace style (traces.TRACE_STYLES) a model was fine-tuned to write; "plain" when not recorded."""
    return _meta(path).get("trace_style", "plain")


def write_meta(path: str | Path, **values) -> None:
    """Add entries to a model folder's note (template, trace style, ...)."""
    (Path(path) / META_FILE).write_text(json.dumps({**_meta(path), **values}, indent=2))


def format_prompt(tokenizer, text: str) -> str:
    """The prompt as the model sees it: through its chat template when it has one."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                             add_generation_prompt=True, enable_thinking=False)
    return text


def copy_meta(src: str | Path, dst: str | Path) -> None:
    """Carry the model's template note to a trained copy."""
    meta = Path(src) / META_FILE
    if meta.is_file():
        (Path(dst) / META_FILE).write_text(meta.read_text())
