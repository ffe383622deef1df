"""Data checks before training (lessons 1-3 of the original research): every finding names the
record (file:line) and the fix. Reads processed problem files (docs/schema.md) and
prompt/completion files alike, and checks exactly the text SFT would train on.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from .io import DataError, read_jsonl
from .problems import FIELDS, REQUIRED, Problem
from .solver import verify_trace
from .traces import parse_trace

MIN_PROMPT_CHARS = 50
MAX_ONE_STEP_SHARE = 0.5    # more one-derivation targets than this: the model learns to skip reasoning
MAX_SAME_ARGS_SHARE = 0.9   # first-action args identical in this share of records: hard-coded indices
MAX_LABEL_SHARE = 0.75
_PREDICATE = re.compile(r"[A-Za-z]+\([A-Za-z, ]+\)|[∀∃→∧∨¬]")


@dataclass
class Finding:
    severity: str          # "error" | "warning"
    code: str
    line: int | None       # 1-based line of the record, None for the whole file
    message: str
    fix: str

    def format(self, path: str | Path) -> str:
        where = f"{path}:{self.line}" if self.line else str(path)
        return f"{self.severity.upper()} {self.code} {where}: {self.message.rstrip('.')}. Fix: {self.fix}"


@dataclass
class Example:
    """The (prompt, target) pair one record trains on, plus what the checks need to know."""
    line: int
    prompt: str
    target: str
    label: str | None = None
    problem: Problem | None = None


def _to_example(record: dict, template: str, out: list[Finding], style: str = "plain") -> Example | None:
    line = record["_line"]
    if "prompt" in record or "completion" in record:
        prompt, target = record.get("prompt"), record.get("completion")
        if not isinstance(prompt, str) or not isinstance(target, str):
            out.append(Finding("error", "wrong_field", line, f"'prompt' and 'completion' must both be text "
                               f"(fields present: {sorted(k for k in record if k != '_line')})",
                               "write the model input to 'prompt' and the trace to 'completion'"))
            return None
        return Example(line, prompt, target)
    unknown = sorted(set(record) - set(FIELDS) - {"_line"})
    missing = [f for f in REQUIRED if f not in record]
    if unknown or missing:
        out.append(Finding("error", "wrong_field", line,
                           f"fields {sorted(k for k in record if k != '_line')} do not match the schema"
                           + (f" (missing {missing})" if missing else "") + (f" (unknown {unknown})" if unknown else ""),
                           "the loader may be reading the wrong field: map the source's fields to "
                           "premises/query/label/proof (docs/schema.md)"))
        return None
    try:
        problem = Problem.from_record(record, str(line))
    except DataError as err:
        out.append(Finding("error", "bad_value", line, str(err).split(": ", 1)[-1], "correct the value"))
        return None
    if not problem.proof:
        out.append(Finding("error", "empty_target", line, "the record has no gold proof, so its target is empty",
                           "regenerate the record, or load the source with a proof field"))
        return None
    return Example(line, problem.prompt(template), problem.target(style), problem.label, problem)


def check_examples(examples: list[Example], tokenizer=None, max_length: int | None = None,
                   positions: int | None = None) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[str, Example] = {}
    ids: dict[str, int] = {}
    for ex in examples:
        if len(ex.prompt) < MIN_PROMPT_CHARS:
            out.append(Finding("error", "short_input", ex.line, f"the input is {len(ex.prompt)} characters",
                               f"inputs under {MIN_PROMPT_CHARS} characters lack the premises: check which field feeds the prompt"))
        if ex.problem and any(_PREDICATE.search(p) for p in ex.problem.premises):
            out.append(Finding("error", "predicate_format", ex.line, "premises are written as logic formulas, "
                               "not English", "feed the natural-language premises, not the FOL field"))
        if "Thought:" not in ex.target:
            out.append(Finding("error", "missing_thought", ex.line, "the target has no 'Thought:' line",
                               "targets must be optionized traces (Thought/Action lines)"))
        parsed = parse_trace(ex.target, len(ex.problem.premises) if ex.problem else 10 ** 6)
        derivations = sum(s.option not in (None, "CONCLUDE") for s in parsed.steps)
        if derivations == 0:
            out.append(Finding("error", "trivial_target", ex.line, "the target only CONCLUDEs, with no inference step",
                               "drop the record or give it a real proof"))
        if ex.problem and ex.problem.verifiable:
            result = verify_trace(parsed, ex.problem.formulas, ex.problem.query_formula, ex.problem.label)
            if not result.valid:
                why = next((r.reason for r in result.steps if not r.valid), parsed.detail or "answer differs from label")
                out.append(Finding("error", "invalid_gold", ex.line, f"the gold proof does not verify: {why}",
                                   "regenerate the proof with `sokrates data generate` or fix its indices"))
        pid = ex.problem.id if ex.problem else None
        if pid is not None and pid in ids:
            out.append(Finding("error", "duplicate_id", ex.line, f"problem id {pid!r} is also on line {ids[pid]}",
                               "give every problem its own id: traces are matched to problems by id"))
        elif pid is not None:
            ids[pid] = ex.line
        key = ex.prompt
        if key in seen:
            first = seen[key]
            conflict = first.label is not None and first.label != ex.label
            out.append(Finding("error" if conflict else "warning", "conflicting_duplicate" if conflict else "duplicate",
                               ex.line, f"same input as line {first.line}" + (" with another label" if conflict else ""),
                               "deduplicate the file"))
        else:
            seen[key] = ex
    if tokenizer is not None and max_length:
        out += length_findings(examples, example_lengths(examples, tokenizer), max_length, positions=positions)
    out += _dataset_findings(examples)
    return out


def example_lengths(examples: list[Example], tokenizer) -> list[tuple[int, int]]:
    """(prompt tokens, prompt + completion tokens) of what the trainer reads, per example: the prompt through the
    model's chat template when it has one, the completion with the end-of-sequence token (tokenized in one batch)."""
    from .model import format_prompt
    prompts = [format_prompt(tokenizer, ex.prompt) for ex in examples]
    eos = getattr(tokenizer, "eos_token", None) or ""
    alone = tokenizer(prompts)["input_ids"]
    whole = tokenizer([p + ex.target + eos for p, ex in zip(prompts, examples)])["input_ids"]
    return [(len(a), len(w)) for a, w in zip(alone, whole)]


SHOWN_LONG = 5  # long records named one by one; the rest are counted in the summary


def length_findings(examples: list[Example], token_lengths: list[tuple[int, int]], max_length: int,
                    setting: str = "sft.max_length", positions: int | None = None) -> list[Finding]:
    """Examples the trainer would cut at `max_length` tokens (TRL keeps the prompt and drops an example whose
    completion is cut away entirely), given their `example_lengths`: a few named by line, one summary with the value
    of `setting` that fits."""
    lengths = [(ex, p, n) for ex, (p, n) in zip(examples, token_lengths)]
    long = [(ex, p, n) for ex, p, n in lengths if n > max_length]
    if not long:
        return []
    out = [Finding("error", "truncated_target", ex.line, f"{n} tokens (prompt {p}) exceed {setting}={max_length}: "
                   + ("the whole completion would be cut and the example dropped" if p >= max_length else
                      "the end of the completion (its CONCLUDE) would be cut"), f"raise {setting} or drop long records")
           for ex, p, n in long[:SHOWN_LONG]]
    ex, p, n = max(long, key=lambda x: x[2])
    dropped = sum(p >= max_length for _, p, _ in long)
    fix = f"set {setting}: {n} (or more) in the run's config.yaml"
    if positions and n > positions:
        fix = (f"the model holds only {positions} positions, fewer than the {n} needed: use a shorter prompt template "
               "or a model with more positions")
    out.append(Finding("error", "truncated_target", None, f"{len(long)} of {len(examples)} examples exceed {setting}="
                       f"{max_length} tokens ({dropped} of them with the prompt alone, so training would drop them; "
                       f"longest {n} tokens, line {ex.line})", fix))
    return out


def _dataset_findings(examples: list[Example]) -> list[Finding]:
    out: list[Finding] = []
    if not examples:
        return [Finding("error", "empty", None, "no usable records", "check the file and its format")]
    n = len(examples)
    parsed = [parse_trace(ex.target, 10 ** 6) for ex in examples]
    one_step = sum(sum(s.option not in (None, "CONCLUDE") for s in p.steps) <= 1 for p in parsed)
    if n >= 10 and one_step / n > MAX_ONE_STEP_SHARE:
        out.append(Finding("warning", "mostly_one_step", None, f"{one_step}/{n} targets have at most one inference step",
                           "generate more multi-hop problems (--min-hops/--max-hops)"))
    first_args = Counter(str(p.steps[0].args) for p in parsed if p.steps)
    if n >= 10 and first_args:
        args, count = first_args.most_common(1)[0]
        if count / n >= MAX_SAME_ARGS_SHARE:
            out.append(Finding("error", "constant_args", None, f"the first action cites {args} in {count}/{n} records",
                               "indices look hard-coded: take them from the proof of each problem"))
    labels = Counter(ex.label for ex in examples if ex.label)
    if labels and sum(labels.values()) >= 10:
        label, count = labels.most_common(1)[0]
        share = count / sum(labels.values())
        if share > MAX_LABEL_SHARE or len(labels) == 1:
            out.append(Finding("warning", "label_imbalance", None, f"{count}/{sum(labels.values())} records are {label}",
                               "balance the labels, or the model can score by always answering the majority"))
    return out


def check_file(path: str | Path, template: str = "solve_compact", tokenizer=None, max_length: int | None = None,
               style: str = "plain", positions: int | None = None) -> list[Finding]:
    """All findings for one JSONL file, record findings first, sorted by line. Problems are checked as the prompt
    `template` and the trace `style` render them; with a tokenizer, their token lengths against `max_length` (and the
    model's `positions`)."""
    bad_lines: list[tuple[int, str]] = []
    records = read_jsonl(path, errors=bad_lines)
    findings = [Finding("error", "malformed_json", line, msg, "repair or drop the line") for line, msg in bad_lines]
    examples = [ex for r in records if (ex := _to_example(r, template, findings, style)) is not None]
    findings += check_examples(examples, tokenizer, max_length, positions)
    return sorted(findings, key=lambda f: (f.line is None, f.line or 0))


def findings_to_json(findings: list[Finding]) -> list[dict]:
    return [asdict(f) for f in findings]
