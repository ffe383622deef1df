"""Training with TRL: SFT on gold optionized traces (loss on the completion only) and DPO on
verified preference pairs. Both write metrics.jsonl (one line per logging step) and summary.json,
and save the model into `<out>/model` only once training has finished."""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .choices import choice
from .io import DataError, write_json
from .model import copy_meta, format_prompt, load_tokenizer, model_template, write_meta
from .traces import TRACE_STYLES


def _schedulers() -> list[str]:
    """transformers' learning-rate schedules (imported only when a config names one other than the default)."""
    from transformers import SchedulerType
    return [t.value for t in SchedulerType]


@dataclass
class TrainSettings:
    """What SFT and DPO share; each stage's settings below set their own defaults."""
    epochs: float = 1.0
    learning_rate: float = 1e-4
    batch_size: int = 16
    max_length: int | None = None   # tokens per example; None: the longest example of the data (see fit_max_length)
    warmup_ratio: float = 0.02
    scheduler: str = choice("constant_with_warmup", _schedulers)
    adam_beta2: float = 0.95
    logging_steps: int = 10
    seed: int = 0
    # float32 master weights with bf16 autocast on GPU; "bfloat16" halves weight and optimizer memory but
    # loses updates smaller than bf16 can represent (a DPO step at lr 5e-7 on a 0.02 weight is one of those)
    weights_dtype: str = choice("float32", ("float32", "bfloat16", "float16"))
    attn_implementation: str = "sdpa"  # or "flex_attention", "eager", "flash_attention_2" where installed
    torch_compile: bool | None = False  # compile the model for training; None: on with a GPU
    # recompute activations in the backward pass to save memory; None: off for the embedded tiny model (whose
    # activations are small, so recomputing only costs time: ~1.3x a step), TRL's default (on) for any other model
    gradient_checkpointing: bool | None = None
    # liger-kernel's Triton layer kernels (RMSNorm, RoPE, SwiGLU) through the trainer's `use_liger_kernel` (GPU,
    # `pip install liger-kernel`); TRL keeps its own fused LM-head loss beside them. It turns torch_compile off:
    # dynamo fails on its kernels, and compiling alone is faster (0.6B model, H200: MFU 0.32 compiled, 0.24 liger,
    # 0.14 neither; docs/benchmarks.md)
    use_liger_kernel: bool = False


@dataclass
class SFTSettings(TrainSettings):
    # Measured on the embedded tiny model: a constant learning rate with Adam beta2 0.95 gets it past the
    # plateau where it cannot yet copy names and concepts from the premises (~500 steps at batch 16);
    # a decaying schedule or beta2 0.999 stalls there (docs/benchmarks.md).
    epochs: float = 6.0
    learning_rate: float = 2e-3
    weight_decay: float = 0.0
    # With a GPU (None = auto): compile the model (3x the tokens/s of eager on an H100) and batch examples of
    # similar length (less padding); docs/benchmarks.md
    torch_compile: bool | None = None
    group_by_length: bool | None = None
    # Packing (TRL's best-fit decreasing) puts several examples in each row of max_length tokens, batch_size then
    # counts rows; attention stays within each example (transformers builds the mask from position_ids: dense under
    # SDPA, slow; a block mask under attn_implementation flex_attention, 1.2x padded SFT on an H100, GPU only)
    packing: bool = False
    trace_style: str = choice("plain", TRACE_STYLES)  # how gold proofs are written; recorded in the model's note
    # The loss from the full logits (the model's own cross-entropy) instead of TRL's fused, chunked LM-head loss, which
    # saves memory on large vocabularies. None: on for the embedded model, whose 8,000-step recipe reached step
    # validity 0.71 with it and 0.48 with the fused loss on the same GPU (docs/experiments.md, session 6).
    full_logits_loss: bool | None = None


@dataclass
class DPOSettings(TrainSettings):
    epochs: float = 2.0
    # 5e-5: on the embedded model 5e-4 lowered step validity in the first iteration with every loss tried, 5e-5 raised
    # it each iteration (docs/experiments.md, 2026-11-26 afternoon). Pretrained LMs usually take 1e-6 to 5e-6.
    learning_rate: float = 5e-5
    beta: float = 0.1
    warmup_ratio: float = 0.05
    scheduler: str = choice("cosine", _schedulers)
    logging_steps: int = 5
    precompute_ref_log_probs: bool = True  # no second model copy in memory while training
    # TRL's DPO losses, summed with loss_weights: "sigmoid" is DPO; adding "sft" (the chosen trace's NLL) is RPO,
    # Pang et al. 2024, iterative preference optimisation for reasoning chains
    loss_type: list = field(default_factory=lambda: ["sigmoid"])
    loss_weights: list | None = None


def _log_callback(path: Path):
    from transformers import TrainerCallback

    class JsonlLogger(TrainerCallback):
        """Append every Trainer log (loss, learning rate, grad norm, ...) to metrics.jsonl."""
        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero:
                return
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"step": state.global_step, "epoch": state.epoch, **(logs or {})}) + "\n")

    return JsonlLogger()


def _on_gpu(flag: bool | None) -> bool:
    """A setting that is on with a GPU when left at None."""
    import torch
    return torch.cuda.is_available() if flag is None else flag


def fit_max_length(tokenizer, texts: list[str], s: TrainSettings, model_dir, setting: str) -> int:
    """The max_length to train with: the configured one, or the longest text's token count when unset. Refuses
    examples longer than the model's positions (naming the length needed) before any training. (A packed row may
    be longer: positions restart with each example in it.)"""
    from .model import model_positions
    longest = max((len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts), default=0)
    positions = model_positions(model_dir)
    if positions and longest > positions:
        raise DataError(f"{model_dir}: the longest example needs {longest} tokens ({setting}) but the model holds "
                        f"{positions} positions. Fix: a shorter prompt template, shorter problems, or a model with "
                        "more positions.")
    return s.max_length or longest


def _common_args(out: Path, s, model_dir, **extra) -> dict:
    import torch

    from .model import is_embedded
    compile_model = _on_gpu(s.torch_compile) and not s.use_liger_kernel
    if compile_model:
        # through accelerate's dynamo plugin: compile one decoder layer and reuse it for all (seconds, not minutes),
        # with dynamic sequence lengths so a new batch length does not recompile; the environment can override both
        os.environ.setdefault("ACCELERATE_DYNAMO_USE_REGIONAL_COMPILATION", "1")
        os.environ.setdefault("ACCELERATE_DYNAMO_USE_DYNAMIC", "1")
    return dict(output_dir=str(out / "trainer"), num_train_epochs=s.epochs, learning_rate=s.learning_rate,
                per_device_train_batch_size=s.batch_size, logging_steps=s.logging_steps, seed=s.seed,
                lr_scheduler_type=s.scheduler, warmup_steps=s.warmup_ratio, adam_beta2=s.adam_beta2,
                save_strategy="no", report_to=[], logging_first_step=True, bf16=torch.cuda.is_available(),
                disable_tqdm=False, dataloader_num_workers=0, torch_compile=compile_model,
                use_liger_kernel=s.use_liger_kernel,
                gradient_checkpointing=(not is_embedded(model_dir) if s.gradient_checkpointing is None
                                        else s.gradient_checkpointing), **extra)


def _training_model(model_dir, tokenizer, s: TrainSettings):
    """The model to train: master weights in s.weights_dtype on GPU (bf16 autocast does the matrix work), fp32 on CPU."""
    import torch

    from .model import load_model
    dtype = s.weights_dtype if torch.cuda.is_available() else "float32"
    return load_model(model_dir, tokenizer=tokenizer, dtype=dtype, attn_implementation=s.attn_implementation)


def _train(trainer, setting: str) -> None:
    """trainer.train(), with out-of-memory turned into a one-line error that names the setting to lower."""
    import torch
    try:
        trainer.train()
    except torch.OutOfMemoryError:
        raise DataError(f"out of memory while training (batch size {trainer.args.per_device_train_batch_size}). "
                        f"Fix: lower {setting} in the run's config.yaml; earlier outputs are intact.") from None


def _finish(trainer, tokenizer, base: Path, out: Path, summary: dict, started: float, **meta) -> dict:
    """Save the model atomically (tmp folder, then rename) in the base model's dtype (the master weights may
    be wider) and write summary.json. Under torchrun only the main process writes; the others wait for it."""
    import torch
    main = trainer.is_world_process_zero()
    tmp = out / "model.tmp"
    if main:
        shutil.rmtree(tmp, ignore_errors=True)
    if not trainer.is_fsdp_enabled:  # sharded parameters are gathered by save_model in their training dtype
        config = json.loads((base / "config.json").read_text())
        trainer.model.to(getattr(torch, config.get("dtype") or config.get("torch_dtype") or "float32"))
    trainer.save_model(str(tmp))  # every process calls it (sharded models gather), the main one writes
    history = [h for h in trainer.state.log_history if "loss" in h]
    summary.update({"model": str(out / "model"), "steps": trainer.state.global_step,
                    "first_loss": history[0]["loss"] if history else None,
                    "final_loss": history[-1]["loss"] if history else None, "wall_s": round(time.time() - started, 1)})
    if main:
        tokenizer.save_pretrained(str(tmp))
        copy_meta(base, tmp)
        if meta:
            write_meta(tmp, **meta)
        shutil.rmtree(out / "model", ignore_errors=True)
        tmp.rename(out / "model")
        shutil.rmtree(out / "trainer", ignore_errors=True)
        write_json(out / "summary.json", summary)
    trainer.accelerator.wait_for_everyone()
    return summary


def _on_disk(rows: list[dict], folder: Path):
    """The rows as a dataset saved under `folder` and memory-mapped from there. DPO caches the precomputed
    reference log-probs beside its dataset's files; an in-memory dataset would put them in a temporary folder of
    each process, and under torchrun the other ranks would look for rank 0's cache in their own."""
    from accelerate import PartialState
    from datasets import Dataset, load_from_disk
    state = PartialState()
    with state.main_process_first():
        if state.is_main_process:
            shutil.rmtree(folder, ignore_errors=True)
            Dataset.from_list(rows).save_to_disk(str(folder))
    return load_from_disk(str(folder))


def _sft_trainer(full_logits: bool):
    """TRL's SFTTrainer, or with full_logits one whose loss is the model's own cross-entropy on the full logits
    (transformers' Trainer.compute_loss) instead of TRL's fused LM-head loss; TRL's token accuracy and entropy are
    then not logged."""
    from transformers import Trainer
    from trl import SFTTrainer
    if not full_logits:
        return SFTTrainer

    class FullLogitsSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            return Trainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)

    return FullLogitsSFTTrainer


def run_sft(model_dir: str | Path, problems: list, out: str | Path, s: SFTSettings | None = None,
            callbacks: tuple = ()) -> dict:
    """Supervised fine-tuning on the problems' gold traces. Returns the summary. `callbacks` are extra
    transformers TrainerCallbacks (the GPU benchmark times steps with one)."""
    from datasets import Dataset
    from trl import SFTConfig

    from .model import is_embedded
    s = s or SFTSettings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(model_dir)
    template = model_template(model_dir)
    rows = [{"prompt": format_prompt(tokenizer, p.prompt(template)),
             "completion": p.target(s.trace_style) + tokenizer.eos_token} for p in problems if p.proof]
    if not rows:
        raise DataError("no problem has a gold proof to train on. Fix: generate data with `sokrates data generate`.")
    (out / "metrics.jsonl").unlink(missing_ok=True)
    grouping = {}
    if _on_gpu(s.group_by_length):  # transformers 5.2x names it train_sampling_strategy, earlier group_by_length
        grouping = ({"train_sampling_strategy": "group_by_length"} if "train_sampling_strategy" in SFTConfig.__dataclass_fields__
                    else {"group_by_length": True})
    max_length = fit_max_length(tokenizer, [r["prompt"] + r["completion"] for r in rows], s, model_dir, "sft.max_length")
    args = SFTConfig(**_common_args(out, s, model_dir, max_length=max_length, weight_decay=s.weight_decay, completion_only_loss=True,
                                    packing=s.packing,
                                    # compiled: lengths padded to a multiple of 64 so only a few shapes compile
                                    pad_to_multiple_of=64 if _on_gpu(s.torch_compile) else None, **grouping))
    started = time.time()
    full_logits = is_embedded(model_dir) if s.full_logits_loss is None else s.full_logits_loss
    trainer = _sft_trainer(full_logits)(model=_training_model(model_dir, tokenizer, s), args=args,
                                        train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                                        callbacks=[_log_callback(out / "metrics.jsonl"), *callbacks])
    _train(trainer, "sft.batch_size")
    tokens = sum(len(x) for x in trainer.train_dataset["input_ids"])
    summary = {"stage": "sft", "base_model": str(model_dir), "examples": len(rows), "tokens_per_epoch": tokens,
               "max_length": max_length, "max_length_from_data": s.max_length is None, "settings": asdict(s)}
    return _finish(trainer, tokenizer, Path(model_dir), out, summary, started, trace_style=s.trace_style)


def _open_end_dpo_trainer():
    """TRL's DPOTrainer, except that the completions of a pair marked `open_end` lose the end-of-sequence token TRL
    gives every completion (a step pair's completions are one step of a longer trace: an EOS after it would teach
    the model to stop there)."""
    from trl import DPOTrainer

    class OpenEndDPOTrainer(DPOTrainer):
        def _prepare_dataset(self, dataset, processing_class, *args, **kwargs):
            dataset = super()._prepare_dataset(dataset, processing_class, *args, **kwargs)
            eos_id = self._tokenizer.eos_token_id

            def drop_eos(row):
                if not row["open_end"]:
                    return {}
                assert row["chosen_ids"][-1] == eos_id and row["rejected_ids"][-1] == eos_id
                return {"chosen_ids": row["chosen_ids"][:-1], "rejected_ids": row["rejected_ids"][:-1]}
            return dataset.map(drop_eos)

    return OpenEndDPOTrainer


def run_dpo(model_dir: str | Path, pairs: list[dict], out: str | Path, s: DPOSettings | None = None,
            callbacks: tuple = ()) -> dict:
    """DPO on preference pairs ({"prompt", "chosen", "rejected"}), the policy initialised from model_dir
    and the reference being the same model (its log-probs precomputed by default)."""
    from trl import DPOConfig

    s = s or DPOSettings()
    out = Path(out)
    if not pairs:
        raise DataError("the pair set is empty: no problem had both a valid and an invalid sample. "
                        "Fix: sample more per problem or at a higher temperature.")
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(model_dir)
    eos = tokenizer.eos_token
    # a step pair's shared steps follow the prompt; every completion gets EOS here (TRL would add it too), and the
    # trainer takes it off again for a step pair's completions, which end open (`open_end`, one step each)
    rows = [{"prompt": format_prompt(tokenizer, p["prompt"]) + p.get("prefix", ""), "chosen": p["chosen"] + eos,
             "rejected": p["rejected"] + eos, "open_end": bool(p.get("open_end"))} for p in pairs]
    (out / "metrics.jsonl").unlink(missing_ok=True)
    max_length = fit_max_length(tokenizer, [r["prompt"] + max(r["chosen"], r["rejected"], key=len) for r in rows], s,
                                model_dir, "dpo.max_length")
    args = DPOConfig(**_common_args(out, s, model_dir, max_length=max_length, beta=s.beta, loss_type=list(s.loss_type),
                                    loss_weights=s.loss_weights, precompute_ref_log_probs=s.precompute_ref_log_probs))
    started = time.time()
    trainer = _open_end_dpo_trainer()(model=_training_model(model_dir, tokenizer, s), args=args,
                                      train_dataset=_on_disk(rows, out / "trainer" / "pairs"),
                         processing_class=tokenizer, callbacks=[_log_callback(out / "metrics.jsonl"), *callbacks])
    _train(trainer, "dpo.batch_size")
    last = [h for h in trainer.state.log_history if "rewards/accuracies" in h]
    summary = {"stage": "dpo", "base_model": str(model_dir), "pairs": len(rows), "max_length": max_length,
               "max_length_from_data": s.max_length is None, "settings": asdict(s),
               "final_reward_accuracy": last[-1]["rewards/accuracies"] if last else None,
               "final_reward_margin": last[-1].get("rewards/margins") if last else None}
    return _finish(trainer, tokenizer, Path(model_dir), out, summary, started)
