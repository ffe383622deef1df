"""DPO preference pairs from verified samples: chosen is a valid trace with the right answer,
rejected is an invalid or wrong one, never the same text. Problems without a pair are counted.

Two changes to the method, each off by default and named in the report:
- `gold` (problem id -> gold trace): a problem with no valid sample takes its gold proof as the chosen trace
  (`gold_chosen`);
- `later_first_error`: a problem with no valid sample pairs the sample whose first invalid step comes latest
  (more valid steps before it) against one whose first error comes earlier (`prefix_pairs`). A weak model then
  gives pairs on most problems; they prefer longer valid prefixes, not valid proofs."""
from __future__ import annotations

from collections import defaultdict


def _first_error(record: dict) -> int:
    """Index of the first invalid step (the step count when every step is valid but the answer is wrong)."""
    return next((i for i, s in enumerate(record["steps"]) if not s["valid"]), len(record["steps"]))


def _prefix_pairs(rejected: list[dict], max_per_problem: int) -> list[tuple[dict, dict]]:
    """(later, earlier) first-error pairs among invalid samples of one problem, latest first error first."""
    ranked = sorted(rejected, key=_first_error, reverse=True)
    best = ranked[0]
    return [(best, r) for r in ranked[1:] if _first_error(r) < _first_error(best)][:max_per_problem]


def build_pairs(records: list[dict], prompts: dict[str, str], max_per_problem: int = 2,
                gold: dict[str, str] | None = None, later_first_error: bool = False) -> tuple[list[dict], dict]:
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
        if chosen:
            matched = [(chosen[i % len(chosen)], rejected[i]) for i in range(min(max_per_problem, len(rejected)))]
        elif later_first_error and rejected:
            matched, kind = _prefix_pairs(rejected, max_per_problem), "later_first_error"
            prefix += bool(matched)
        else:
            matched = []
        for c, rj in matched:
            reason = next((s["reason"] for s in rj["steps"] if not s["valid"]), "wrong answer")
            pairs.append({"problem_id": pid, "prompt": prompts[pid], "chosen": c["text"], "rejected": rj["text"],
                          "gold": c["gold"], "rejected_reason": reason, "kind": kind})
    true_share = sum(p["gold"] == "True" for p in pairs) / len(pairs) if pairs else 0.0
    report = {"pairs": len(pairs), "problems": len(problems), "problems_with_pairs": len({p["problem_id"] for p in pairs}),
              "problems_without_valid_sample": no_valid, "problems_without_invalid_sample": no_invalid,
              "chosen_gold_true_share": round(true_share, 4), "gold_chosen": gold_chosen,
              "prefix_pairs_problems": prefix, "kinds": {k: sum(p["kind"] == k for p in pairs) for k in
                                                          ("valid", "gold", "later_first_error")}}
    return pairs, report


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

