"""Decision-token accuracy: a cheap check right after SFT that needs no sampling (seed lesson 3).

Most tokens of a gold trace are easy copies; a few decide whether a step is right: which formula a step
cites, the option, the argument indices, the derived claim, the answer. With the gold trace fed in
(teacher forcing), a decision counts as right when the model's most likely next token is the gold one at
every token of it. A model that has a low training loss but cannot choose premises shows it here, before
any sampling is paid for.
"""
from __future__ import annotations

import re
from pathlib import Path

from .metrics import rate

_OPTION = re.compile(r'type="([A-Z_]+)"')
_ARGS = re.compile(r'type="([A-Z_]+)" args="\[([^\]]*)\]"')
_NUMBER = re.compile(r"\d+")
_CLAIM = re.compile(r"So (.+?)(?: \(\d+\))?\.\n")
_THOUGHT = re.compile(r"Thought: (.*?)So ", re.S)
_CITED = re.compile(r"(?:^|\. )(\d+\. )?([A-Z][^.]*)")
KINDS = ("cited", "option", "index", "claim", "answer")


def decision_spans(target: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) character spans of the decisions in a gold trace: `cited` each formula a Thought
    restates (the whole sentence; its number in the numbered style): the choice of premise, `option` the option
    name, `index` each formula number in an Action, `claim` the derived formula, `answer` CONCLUDE's label."""
    spans: list[tuple[str, int, int]] = []
    for m in _THOUGHT.finditer(target):
        for c in _CITED.finditer(m.group(1)):
            start = m.start(1) + (c.start(1) if c.group(1) else c.start(2))
            token = c.group(1)[:-2] if c.group(1) else c.group(2)
            spans.append(("cited", start, start + len(token)))
    for m in _OPTION.finditer(target):
        spans.append(("option", m.start(1), m.end(1)))
    for m in _ARGS.finditer(target):
        kind = "answer" if m.group(1) == "CONCLUDE" else "index"
        spans += [(kind, m.start(2) + n.start(), m.start(2) + n.end()) for n in _NUMBER.finditer(m.group(2))]
    for m in _CLAIM.finditer(target):
        if not m.group(1).startswith("the answer is"):
            spans.append(("claim", m.start(1), m.end(1)))
    return sorted(spans, key=lambda s: s[1])


def decision_accuracy(model_dir: str | Path, problems: list, style: str | None = None,
                      batch_size: int = 32) -> dict:
    """Teacher-forced accuracy per decision kind over the problems' gold traces, as rates with Wilson
    intervals ({"cited": {"value", "k", "n", ...}, ...}), plus the share of traces whose every decision is
    right (`all`)."""
    from .model import load_model, load_tokenizer, model_template, model_trace_style
    tokenizer = load_tokenizer(model_dir)
    model = load_model(model_dir, tokenizer=tokenizer)
    return decisions_of(model, tokenizer, problems, model_template(model_dir), style or model_trace_style(model_dir),
                        batch_size)


def decisions_of(model, tokenizer, problems: list, template: str, style: str, batch_size: int = 32) -> dict:
    """decision_accuracy on a model already in memory (a training callback measures it every N steps)."""
    import torch

    from .model import format_prompt
    side, tokenizer.padding_side = tokenizer.padding_side, "right"
    was_training = model.training
    model.eval()
    right = {k: 0 for k in KINDS}
    total = {k: 0 for k in KINDS}
    whole = 0
    items = [(format_prompt(tokenizer, p.prompt(template)), p.target(style)) for p in problems if p.proof]
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        enc = tokenizer([p + t for p, t in batch], return_tensors="pt", padding=True, add_special_tokens=False,
                        return_offsets_mapping=True)
        offsets = enc.pop("offset_mapping")
        with torch.no_grad():
            logits = model(**{k: v.to(model.device) for k, v in enc.items()}).logits
        predicted = logits.argmax(-1).cpu()
        for row, (prompt, target) in enumerate(batch):
            ids, offs = enc["input_ids"][row], offsets[row]
            ok_all = True
            for kind, a, b in decision_spans(target):
                a, b = a + len(prompt), b + len(prompt)
                positions = [i for i in range(1, len(ids)) if offs[i][0] < b and offs[i][1] > a]
                ok = bool(positions) and all(predicted[row, i - 1] == ids[i] for i in positions)
                right[kind] += ok
                total[kind] += 1
                ok_all &= ok
            whole += ok_all
    tokenizer.padding_side = side
    model.train(was_training)
    out = {k: rate(right[k], total[k]) for k in KINDS}
    out["all"] = rate(whole, len(items))
    return out
