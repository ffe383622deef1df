"""Training with TRL: SFT on gold optionized traces (loss on the completion only) and DPO on
verified preference pairs. Both write metrics.jsonl (one line per logging step) and summary.json,
and save the model into `<out>/model` only once training has finished."""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .io import DataError, write_json
from .model import copy_meta, format_prompt, load_tokenizer, model_template


@dataclass
class SFTSettings:
    # Measured on the embedded tiny model: a constant learning rate with Adam beta2 0.95 gets it past the
    # plateau where it cannot yet copy names and concepts from the premises (~500 steps at batch 16);
    # a decaying schedule or beta2 0.999 stalls there (docs/benchmarks.md).
    epochs: float = 6.0
    learning_rate: float = 2e-3
    batch_size: int = 16
    max_length: int = 512
    warmup_ratio: float = 0.02
    scheduler: str = "constant_with_warmup"
    adam_beta2: float = 0.95
    weight_decay: float = 0.0
    logging_steps: int = 10
    seed: int = 0
    packing: bool = False  # TRL packing/padding-free needs flash attention on GPU; off on CPU
    torch_compile: bool = False  # compile the model for training (GPU)


@dataclass
class DPOSettings:
    epochs: float = 2.0
    learning_rate: float = 5e-4
    beta: float = 0.1
    batch_size: int = 16
    max_length: int = 512
    warmup_ratio: float = 0.05
    scheduler: str = "cosine"
    adam_beta2: float = 0.95
    logging_steps: int = 5
    seed: int = 0
    precompute_ref_log_probs: bool = True  # no second model copy in memory while training


def _log_callback(path: Path):
    from transformers import TrainerCallback

    class JsonlLogger(TrainerCallback):
        """Append every Trainer log (loss, learning rate, grad norm, ...) to metrics.jsonl."""
        def on_log(self, args, state, control, logs=None, **kwargs):
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"step": state.global_step, "epoch": state.epoch, **(logs or {})}) + "\n")

    return JsonlLogger()


def _common_args(out: Path, s, **extra) -> dict:
    import torch
    return dict(output_dir=str(out / "trainer"), num_train_epochs=s.epochs, learning_rate=s.learning_rate,
                per_device_train_batch_size=s.batch_size, logging_steps=s.logging_steps, seed=s.seed,
                lr_scheduler_type=s.scheduler, warmup_steps=s.warmup_ratio, adam_beta2=s.adam_beta2,
                save_strategy="no", report_to=[], logging_first_step=True, bf16=torch.cuda.is_available(), max_length=s.max_length,
                disable_tqdm=False, dataloader_num_workers=0, **extra)


def _train(trainer, setting: str) -> None:
    """trainer.train(), with out-of-memory turned into a one-line error that names the setting to lower."""
    import torch
    try:
        trainer.train()
    except torch.OutOfMemoryError:
        raise DataError(f"out of memory while training (batch size {trainer.args.per_device_train_batch_size}). "
                        f"Fix: lower {setting} in the run's config.yaml; earlier outputs are intact.") from None


def _finish(trainer, tokenizer, base: Path, out: Path, summary: dict, started: float) -> dict:
    """Save the model atomically (tmp folder, then rename) and write summary.json."""
    tmp = out / "model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    trainer.save_model(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    copy_meta(base, tmp)
    shutil.rmtree(out / "model", ignore_errors=True)
    tmp.rename(out / "model")
    shutil.rmtree(out / "trainer", ignore_errors=True)
    history = [h for h in trainer.state.log_history if "loss" in h]
    summary.update({"model": str(out / "model"), "steps": trainer.state.global_step,
                    "first_loss": history[0]["loss"] if history else None,
                    "final_loss": history[-1]["loss"] if history else None, "wall_s": round(time.time() - started, 1)})
    write_json(out / "summary.json", summary)
    return summary


def run_sft(model_dir: str | Path, problems: list, out: str | Path, s: SFTSettings | None = None) -> dict:
    """Supervised fine-tuning on the problems' gold traces. Returns the summary."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from .model import load_model
    s = s or SFTSettings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(model_dir)
    template = model_template(model_dir)
    rows = [{"prompt": format_prompt(tokenizer, p.prompt(template)), "completion": p.target() + tokenizer.eos_token}
            for p in problems if p.proof]
    if not rows:
        raise DataError("no problem has a gold proof to train on. Fix: generate data with `sokrates data generate`.")
    (out / "metrics.jsonl").unlink(missing_ok=True)
    args = SFTConfig(**_common_args(out, s, weight_decay=s.weight_decay, completion_only_loss=True, packing=s.packing,
                                    torch_compile=s.torch_compile))
    started = time.time()
    trainer = SFTTrainer(model=load_model(model_dir, tokenizer=tokenizer), args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=tokenizer, callbacks=[_log_callback(out / "metrics.jsonl")])
    _train(trainer, "sft.batch_size")
    tokens = sum(len(x) for x in trainer.train_dataset["input_ids"])
    summary = {"stage": "sft", "base_model": str(model_dir), "examples": len(rows), "tokens_per_epoch": tokens,
               "settings": asdict(s)}
    return _finish(trainer, tokenizer, Path(model_dir), out, summary, started)


def run_dpo(model_dir: str | Path, pairs: list[dict], out: str | Path, s: DPOSettings | None = None) -> dict:
    """DPO on preference pairs ({"prompt", "chosen", "rejected"}), the policy initialised from model_dir
    and the reference being the same model (its log-probs precomputed by default)."""
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from .model import load_model
    s = s or DPOSettings()
    out = Path(out)
    if not pairs:
        raise DataError("the pair set is empty: no problem had both a valid and an invalid sample. "
                        "Fix: sample more per problem or at a higher temperature.")
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(model_dir)
    eos = tokenizer.eos_token
    rows = [{"prompt": format_prompt(tokenizer, p["prompt"]), "chosen": p["chosen"] + eos, "rejected": p["rejected"] + eos}
            for p in pairs]
    (out / "metrics.jsonl").unlink(missing_ok=True)
    args = DPOConfig(**_common_args(out, s, beta=s.beta, precompute_ref_log_probs=s.precompute_ref_log_probs))
    started = time.time()
    trainer = DPOTrainer(model=load_model(model_dir, tokenizer=tokenizer), args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=tokenizer, callbacks=[_log_callback(out / "metrics.jsonl")])
    _train(trainer, "dpo.batch_size")
    last = [h for h in trainer.state.log_history if "rewards/accuracies" in h]
    summary = {"stage": "dpo", "base_model": str(model_dir), "pairs": len(rows), "settings": asdict(s),
               "final_reward_accuracy": last[-1]["rewards/accuracies"] if last else None,
               "final_reward_margin": last[-1].get("rewards/margins") if last else None}
    return _finish(trainer, tokenizer, Path(model_dir), out, summary, started)
