"""A long SFT run in a plain PyTorch loop, to map how the skills grow with the step budget.

The product trains with TRL's SFTTrainer (`sokrates sft`); on a tiny model that costs ~50 ms of overhead a step,
so a learning curve to tens of thousands of steps does not fit a device call. This loop trains the same model
(the embedded default, built by `Run.base_model`), on the same data and targets, with the loss on the completion
only, AdamW with beta2 from the config, a linear warmup then the config's constant rate, and gradient clipping at
1.0 like the Trainer; only the bookkeeping is gone. It writes one JSON line per measurement to --out as it goes:
teacher-forced decision accuracy every --eval-every steps, greedy step validity every --greedy-every steps.

    python benchmarks/long_probe.py --workspace WS --name NAME --out curve.jsonl [--set data.distractors=0 ...]
        [--steps 50000] [--max-s 480] [--batch 64]
"""
import argparse
import json
import math
import random
import time
from multiprocessing import Pool
from pathlib import Path

import torch
import yaml

from sokrates.decisions import decisions_of
from sokrates.loop import LoopConfig, Run, unseen
from sokrates.metrics import summarize
from sokrates.model import copy_meta, load_tokenizer, model_template
from sokrates.problems import GeneratorConfig, generate_problem
from sokrates.sampling import HFSampler, SampleSettings, sample_records


def problems(cfg: GeneratorConfig, workers: int = 4) -> list:
    with Pool(workers) as pool:
        return pool.starmap(generate_problem, [(cfg.seed, i, cfg) for i in range(cfg.n)], chunksize=500)


def encode(tokenizer, items: list[tuple[str, str]]) -> list[tuple[list[int], int]]:
    """(ids of prompt + completion + eos, prompt length) per example."""
    prompts = tokenizer([p for p, _ in items], add_special_tokens=False)["input_ids"]
    targets = tokenizer([t + tokenizer.eos_token for _, t in items], add_special_tokens=False)["input_ids"]
    return [(p + t, len(p)) for p, t in zip(prompts, targets)]


def batch_of(examples, rows, pad_id, device, multiple=64):
    length = math.ceil(max(len(examples[i][0]) for i in rows) / multiple) * multiple
    ids = torch.full((len(rows), length), pad_id)
    labels = torch.full((len(rows), length), -100)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for r, i in enumerate(rows):
        seq, cut = examples[i]
        ids[r, :len(seq)] = torch.tensor(seq)
        labels[r, cut:len(seq)] = torch.tensor(seq[cut:])
        mask[r, :len(seq)] = 1
    return ids.to(device), labels.to(device), mask.to(device)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--name", default="long")
    ap.add_argument("--out", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--steps", type=int, default=50_000)
    ap.add_argument("--max-s", type=float, default=0, help="stop training after this many seconds")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--eval-every", type=int, default=2000)
    ap.add_argument("--greedy-every", type=int, default=8000)
    ap.add_argument("--greedy-problems", type=int, default=200)
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def record(**values) -> None:
        with out.open("a") as fh:
            fh.write(json.dumps({"name": args.name, **values}) + "\n")
        print(json.dumps(values), flush=True)

    run = Run(args.workspace, LoopConfig(run_id=args.name), log=lambda m: None)
    run.save_config()
    run.update({key: yaml.safe_load(value) for key, _, value in (item.partition("=") for item in args.set)})
    run.base_model()
    cfg = run.cfg
    started = time.time()
    train = problems(cfg.data.generator(train=True))  # Run.data's problems, generated on several cores
    test = unseen(problems(cfg.data.generator(train=False)), train)
    model_dir = run.base_model_dir
    tokenizer = load_tokenizer(model_dir)
    template, style = model_template(model_dir), cfg.sft.trace_style
    examples = encode(tokenizer, [(p.prompt(template), p.target(style)) for p in train])
    record(event="data", train=len(train), test=len(test), s=round(time.time() - started, 1),
           settings=args.set, batch=args.batch)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).to(device)
    step_fn = torch.compile(model) if args.compile else model
    s = cfg.sft
    opt = torch.optim.AdamW(model.parameters(), lr=s.learning_rate, betas=(0.9, s.adam_beta2),
                            weight_decay=s.weight_decay, fused=device == "cuda")
    warmup = max(1, int(s.warmup_ratio * args.steps))
    held_out, greedy_set = test[-100:], test[: args.greedy_problems]
    rng = random.Random(s.seed)
    clock, losses = time.time(), []

    def greedy(step: int) -> None:
        folder = Path(args.workspace) / "probe_model"
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        copy_meta(model_dir, folder)
        settings = SampleSettings(samples_per_problem=1, temperature=0.0)
        summary = summarize(sample_records(greedy_set, HFSampler(folder), settings, template, progress=False))
        record(event="greedy", step=step, **{k: round(summary[k]["value"], 4) for k in
                                              ("accuracy", "step_validity", "trace_validity")},
               by_hops={h: round(m["step_validity"]["value"], 3) for h, m in summary["by_hops"].items()})

    for step in range(1, args.steps + 1):
        for group in opt.param_groups:
            group["lr"] = s.learning_rate * min(1.0, step / warmup)
        ids, labels, mask = batch_of(examples, rng.sample(range(len(examples)), args.batch),
                                     tokenizer.pad_token_id, device)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            logits = step_fn(input_ids=ids, attention_mask=mask).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].float().reshape(-1, logits.size(-1)),
                                                 labels[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.detach())
        elapsed = time.time() - clock
        last = step == args.steps or (args.max_s and elapsed > args.max_s)
        if step % args.eval_every == 0 or last:
            dec = decisions_of(model, tokenizer, held_out, template, style)
            record(event="curve", step=step, s=round(elapsed), loss=round(torch.stack(losses).mean().item(), 4),
                   **{k: round(v["value"], 3) for k, v in dec.items()})
            losses = []
        if step % args.greedy_every == 0 or last:
            greedy(step)
        if last:
            break


if __name__ == "__main__":
    main()
