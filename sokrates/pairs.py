"""DPO preference pairs from verified samples: chosen is a valid trace with the right answer,
rejected is an invalid or wrong one, never the same text. Problems without a pair are counted.

Three changes to the method, each off by default and named in the report:
- `gold` (problem id -> gold trace): a problem with no valid sample takes its gold proof as the chosen trace
  (`gold_chosen`);
- `later_first_error`: a problem with no valid sample pairs the sample whose first invalid step comes latest
  (more valid steps before it) against one whose first error comes earlier (`prefix_pairs`). A weak model then
  gives pairs on most problems; they prefer longer valid prefixes, not valid proofs;
- `step_pairs`: a pair is one step each, the rejected trace's first invalid step against a valid step another
  sample took there after the same steps (`step`); the shared steps join the prompt. A whole-trace pair pushes down
  every token after the two traces part, answer included; a step pair puts the preference on the step that decided.
  The solver checks each step, so the chosen step need not come from a valid trace: a problem gives step pairs
  whenever two of its samples part at a step that is valid in one and invalid in the other."""
from __future__ import annotations

import re
from collections import defaultdict

_BLOCK = re.compile(r"Thought:[^\n]*\nAction:[^\n]*(?:\n|$)")


def _first_error(record: dict) -> int:
    """Index of the first invalid step (the step count when every step is valid but the answer is wrong)."""
    return next((i for i, s in enumerate(record["steps"]) if not s["valid"]), len(record["steps"]))


def _prefix_pairs(rejected: list[dict], max_per_problem: int) -> list[tuple[dict, dict]]:
    """(later, earlier) first-error pairs among invalid samples of one problem, latest first error first."""
    ranked = sorted(rejected, key=_first_error, reverse=True)
    best = ranked[0]
    return [(best, r) for r in ranked[1:] if _first_error(r) < _first_error(best)][:max_per_problem]


def _blocks(text: str) -> list[str] | None:
    """The Thought/Action blocks of a trace, or None when it has anything else (their text must be the whole)."""
    blocks = _BLOCK.findall(text)
    return blocks if "".join(blocks) == text else None


def step_pair(candidates: list[dict], rejected: dict, prompt: str) -> dict | None:
    """The step pair of a rejected trace: the steps it shares with a candidate sample before its first error
    (`prefix`, after the prompt), the candidate's valid step there (`chosen`) and the rejected trace's first invalid
    step (`rejected`). Both completions end open (`open_end`: no end-of-sequence token), so the pair trains the one
    decision and nothing after it. None when no candidate shares the rejected one's steps before its first error and
    took a valid, different step there."""
    r = _blocks(rejected["text"])
    e = _first_error(rejected)
    if r is None or len(r) != len(rejected["steps"]) or e >= len(r):
        return None
    for c in candidates:
        blocks = _blocks(c["text"])
        if (blocks and len(blocks) == len(c["steps"]) and len(blocks) > e and blocks[:e] == r[:e] and blocks[e] != r[e]
                and c["steps"][e]["valid"]):
            return {"prompt": prompt, "prefix": "".join(r[:e]), "chosen": blocks[e], "rejected": r[e],
                    "open_end": True, "gold": c["gold"]}
    return None


def build_pairs(records: list[dict], prompts: dict[str, str], max_per_problem: int = 2,
                gold: dict[str, str] | None = None, later_first_error: bool = False,
                step_pairs: bool = False) -> tuple[list[dict], dict]:
    """Pairs ({"problem_id", "prompt", "chosen", "rejected", "rejected_reason", "kind"}) and a report."""
    good: dict[str, list[dict]] = defaultdict(list)
    bad: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        if not r["verifiable"]:
            continue
        bucket = good if r["valid"] else bad
        if r["text"] not in {x["text"] for x in bucket[r["problem_id"]]}:
            bucket[r["problem_id"]].append(r)
    pairs, no_valid, no_invalid, gold_chosen, prefix = [], 0, 0, 0, 0
    problems = list(dict.fromkeys(r["problem_id"] for r in records if r["verifiable"]))
    for pid in problems:
        chosen, rejected = good[pid], bad[pid]
        no_valid += not chosen
        no_invalid += not rejected
        kind = "valid"
        if not chosen and gold and pid in gold and rejected:
            chosen = [{"text": gold[pid], "gold": rejected[0]["gold"]}]
            gold_chosen += 1
            kind = "gold"
        if step_pairs and kind == "valid":
            steps = [step_pair(chosen + rejected, rj, prompts[pid]) for rj in rejected]
            matched, kind = [(sp, rj) for sp, rj in zip(steps, rejected) if sp][:max_per_problem], "step"
        elif chosen:
            matched = [(chosen[i % len(chosen)], rejected[i]) for i in range(min(max_per_problem, len(rejected)))]
        elif later_first_error and rejected:
            matched, kind = _prefix_pairs(rejected, max_per_problem), "later_first_error"
            prefix += bool(matched)
        else:
            matched = []
        for c, rj in matched:
            reason = next((s["reason"] for s in rj["steps"] if not s["valid"]), "wrong answer")
            text = c if kind == "step" else {"prompt": prompts[pid], "chosen": c["text"], "rejected": rj["text"],
                                             "gold": c["gold"]}
            pairs.append({"problem_id": pid, **text, "rejected_reason": reason, "kind": kind})
    true_share = sum(p["gold"] == "True" for p in pairs) / len(pairs) if pairs else 0.0
    report = {"pairs": len(pairs), "problems": len(problems), "problems_with_pairs": len({p["problem_id"] for p in pairs}),
              "problems_without_valid_sample": no_valid, "problems_without_invalid_sample": no_invalid,
              "chosen_gold_true_share": round(true_share, 4), "gold_chosen": gold_chosen,
              "prefix_pairs_problems": prefix, "kinds": {k: sum(p["kind"] == k for p in pairs) for k in
                                                          ("valid", *METHOD_CHANGES)}}
    return pairs, report


# The pair kinds that change the method: the setting that turns each on and what it does (the session log and the
# paper's setup table name them whenever they are used).
METHOD_CHANGES = {
    "gold": ("gold_chosen_fallback", "gold proofs as chosen traces for problems with no valid sample"),
    "later_first_error": ("later_first_error_pairs", "pairs of invalid traces, the later first error chosen, for "
                                                     "problems with no valid sample"),
    "step": ("step_pairs", "one-step pairs: the first invalid step against a valid step another sample took after "
                           "the same steps")}


# The rule the pairs gate applies: DPO needs enough optimizer steps on enough distinct problems to move a model.
MIN_DPO_STEPS = 20          # optimizer steps (pairs / batch size x epochs)
MIN_PROBLEM_SHARE = 0.05    # share of sampled problems that gave at least one pair


def pairs_verdict(report: dict, batch_size: int, epochs: float) -> tuple[bool, str]:
    """(enough, why): whether a pair set can move the model, and the figures behind the answer."""
    steps = int(-(-report["pairs"] // max(1, batch_size)) * epochs)
    share = report["problems_with_pairs"] / report["problems"] if report["problems"] else 0.0
    why = (f"{report['pairs']} pairs from {report['problems_with_pairs']}/{report['problems']} problems ({share:.0%}) give "
           f"{steps} DPO optimizer steps at batch size {batch_size} x {epochs:g} epochs")
    if steps < MIN_DPO_STEPS or share < MIN_PROBLEM_SHARE:
        return False, (f"{why}: too few to move the model (need >= {MIN_DPO_STEPS} steps and pairs from >= "
                       f"{MIN_PROBLEM_SHARE:.0%} of problems)")
    return True, why



def pair_lengths(pairs: list[dict], model, max_length: int | None) -> dict:
    """What DPO will read, tokenized as it reads it (the model's tokenizer and chat template): the longest pair (prompt
    and its longer trace) against `max_length` (dpo.max_length), or the model's positions when that is unset (then
    the data sets it); how many pairs would be cut, with the fix."""
    from .data_check import Example, example_lengths, length_findings
    from .model import load_tokenizer, model_positions
    if not pairs:
        return {"longest_tokens": 0, "limit": None, "limit_from": None, "too_long": 0, "findings": []}
    tokenizer, positions = load_tokenizer(model), model_positions(model)
    examples = [Example(i + 1, r["prompt"], max(r["chosen"], r["rejected"], key=len)) for i, r in enumerate(pairs)]
    token_lengths = example_lengths(examples, tokenizer)  # tokenized once, for the longest and the findings
    lengths = [n for _, n in token_lengths]
    setting = "dpo.max_length" if max_length else "the model's positions"
    limit = max_length or positions
    findings = length_findings(examples, token_lengths, limit, setting, positions) if limit else []
    return {"longest_tokens": max(lengths), "limit": limit, "limit_from": setting,
            "too_long": sum(n > limit for n in lengths) if limit else 0,
            "findings": [f"{f.message}. Fix: {f.fix}" for f in findings if f.line is None]}
