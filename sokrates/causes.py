"""Why steps fail: one cause per invalid step, the *local* validity of every step, and the position of a
trace's first error. Step validity is grounded (a step citing a formula derived by an invalid step is itself
invalid), so on its own it mostly counts how early the first mistake comes; these figures say what the model
cannot do.

Causes, checked in this order (the first that applies is the step's cause):
- `malformed`: the step does not parse (no Action, unknown option, bad arguments);
- `cites_unestablished`: it cites a formula derived by an earlier invalid step (the cascade);
- `wrong_answer`: CONCLUDE with a label the trace has not established;
- `wrong_index`: a cited number does not exist yet, or the claim follows by the same option from other
  established formulas: the model knew what to derive and pointed at the wrong premise;
- `premise_not_copied`: the Thought restates a formula that is not among those it cites (a paraphrase that
  means the same counts as copied);
- `wrong_rule`: the option does not apply to the cited formulas;
- `claim_not_following`: the option applies but the step claims something else.
"""
from __future__ import annotations

import re
from collections import Counter
from itertools import permutations

from .logic import Formula
from .solver import apply_option, check_step, parse_claim
from .traces import OPTIONS, ParsedTrace, split_thought, strip_tag

CAUSES = ("malformed", "cites_unestablished", "wrong_answer", "wrong_index", "premise_not_copied", "wrong_rule",
          "claim_not_following")
_SENTENCE = re.compile(r"[^.]+")


def _restated(thought: str | None) -> list[Formula]:
    """The formulas a Thought restates before its "So" (numbers and unreadable sentences skipped)."""
    head = split_thought(thought)[0]
    return [f for s in _SENTENCE.findall(head) if (f := parse_claim(strip_tag(s.strip()))) is not None]


def _derivable_elsewhere(option: str, args: list, claim: Formula, known: list, established: list[bool]) -> bool:
    """The claim follows by `option` from some established formulas other than the cited ones."""
    kinds = OPTIONS[option]
    n_idx = sum(k == "idx" for k in kinds)
    pool = [i for i, (f, ok) in enumerate(zip(known, established)) if ok and f is not None]
    extra = [a for a, k in zip(args, kinds) if k != "idx"]
    cited = [a for a, k in zip(args, kinds) if k == "idx"]
    for combo in permutations(pool, n_idx):
        if list(combo) == cited:
            continue
        out = apply_option(option, list(combo) + extra, [known[i] for i in combo])
        if not isinstance(out, str) and claim in out:
            return True
    return False


def step_cause(step, valid: bool, known: list, established: list[bool]) -> str | None:
    """The cause of one step's failure (None when valid), given the formulas and their status before it."""
    if valid:
        return None
    if step.verdict == "index_out_of_range":
        return "wrong_index"
    if step.verdict != "ok":
        return "malformed"
    if step.option == "CONCLUDE":
        return "wrong_answer"
    idx = [a for a, k in zip(step.args, OPTIONS[step.option]) if k == "idx"]
    if any(not established[i] for i in idx):
        return "cites_unestablished"
    claim = parse_claim(step.claim) if step.claim else None
    if claim is None:
        return "malformed"
    if _derivable_elsewhere(step.option, step.args, claim, known, established):
        return "wrong_index"
    restated = _restated(step.thought)
    if restated and any(known[i] not in restated for i in idx):
        return "premise_not_copied"
    result = apply_option(step.option, step.args, [known[i] for i in idx])
    return "wrong_rule" if isinstance(result, str) else "claim_not_following"


def analyse(parsed: ParsedTrace, premises: list, query: Formula, grounded: list[bool]) -> tuple[list, list[bool]]:
    """(cause per step, local validity per step) of a parsed trace whose grounded verdicts are `grounded`.
    Local validity judges each step against the premises and every earlier claim as stated, valid or not."""
    known = list(premises)
    established = [f is not None for f in premises]
    causes, local = [], []
    for step, valid in zip(parsed.steps, grounded):
        causes.append(step_cause(step, valid, known, established))
        everything = [f is not None for f in known]
        local_result, claim = check_step(step, known, everything, query, premises)
        local.append(local_result.valid)
        if step.option != "CONCLUDE":
            known.append(claim)
            established.append(valid)
    return causes, local


def breakdown(records: list[dict]) -> dict:
    """Counts of causes over the invalid steps of verifiable traces and over each trace's first invalid step, the
    local step validity, and where the first error comes (step index, over traces that have one)."""
    from .metrics import rate
    checked = [r for r in records if r["verifiable"]]
    steps = [s for r in checked for s in r["steps"]]
    causes = Counter(s.get("cause") for s in steps if not s["valid"])
    first = [next((i, s.get("cause")) for i, s in enumerate(r["steps"]) if not s["valid"]) for r in checked
             if any(not s["valid"] for s in r["steps"])]
    first_causes = Counter(c for _, c in first)
    return {"causes": {c: causes.get(c, 0) for c in CAUSES if causes.get(c)},
            "invalid_steps": sum(causes.values()),
            "first_error_causes": {c: first_causes.get(c, 0) for c in CAUSES if first_causes.get(c)},
            "local_step_validity": rate(sum(bool(s.get("local_valid")) for s in steps), len(steps)),
            "first_error_step": {str(k): v for k, v in sorted(Counter(i for i, _ in first).items())},
            "traces_without_error": len(checked) - len(first)}


def ranked_causes(report: dict, k: int = 3) -> list[tuple[str, int]]:
    """The k most common causes of traces' *first* error (what goes wrong before the cascade), with counts."""
    return sorted(report.get("first_error_causes", {}).items(), key=lambda kv: -kv[1])[:k]


def top_causes(report: dict, k: int = 3) -> list[str]:
    """ranked_causes as "wrong_index 41% (123/300)", for the gates."""
    total = sum(report.get("first_error_causes", {}).values())
    return [f"{c} {n / total:.0%} ({n}/{total})" for c, n in ranked_causes(report, k)]
