"""The sample check (lessons 1, 3, 5): look at what a freshly trained model writes before spending
compute on DPO. Degenerate or low-diversity output, broken format, and verifier-gaming patterns
(one premise cited in most steps, steps that skip the chain) make a warn or fail verdict."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .io import write_json, write_text
from .causes import breakdown
from .metrics import trace_metrics

SKIP_CHAIN_REASONS = ("does not match the rule's antecedent", "does not deny the rule's consequent")


@dataclass
class CheckThresholds:
    min_format_validity: float = 0.5   # below: fail
    max_degenerate: float = 0.5        # above: fail
    min_distinct_share: float = 0.34   # distinct traces / samples per problem, below: warn (DPO gets no pairs)
    max_premise_fixation: float = 0.2  # share of traces citing one premise in most steps, above: warn
    max_skip_chain: float = 0.2        # share of derivation steps whose fact is not the rule's subject, above: warn


def _derivations(record: dict) -> list[dict]:
    return [s for s in record["steps"] if s["option"] not in (None, "CONCLUDE")]


def check_samples(records: list[dict], temperature: float, samples_per_problem: int,
                  n_premises: dict[str, int], t: CheckThresholds | None = None) -> dict:
    """The check report (check.json): figures, a verdict pass / warn / fail and the reasons."""
    t = t or CheckThresholds()
    n = len(records)
    if n == 0:
        return {"verdict": "fail", "reasons": ["no samples"], "n_samples": 0}
    problems_of_text: dict[str, set] = defaultdict(set)
    for r in records:
        problems_of_text[r["text"].strip()].add(r["problem_id"])
    empty = sum(not r["text"].strip() or not r["steps"] for r in records)
    conclude_only = sum(bool(r["steps"]) and not _derivations(r) for r in records)
    shared = sum(len(problems_of_text[r["text"].strip()]) > 1 for r in records if r["text"].strip())
    degenerate = sum(not r["text"].strip() or not _derivations(r) or len(problems_of_text[r["text"].strip()]) > 1
                     for r in records)
    well_formed = sum(r["trace_verdict"] == "ok" and all(s["verdict"] == "ok" for s in r["steps"]) for r in records)
    by_problem: dict[str, list[str]] = defaultdict(list)
    for r in records:
        by_problem[r["problem_id"]].append(r["text"])
    distinct = sum(len(set(ts)) for ts in by_problem.values()) / len(by_problem)

    fixated = 0
    steps = [s for r in records for s in _derivations(r)]
    cited = Counter()
    for r in records:
        derivations = _derivations(r)
        premise_cites = Counter(a for s in derivations for a in s["args"][:2]
                                if isinstance(a, int) and a < n_premises.get(r["problem_id"], 0))
        cited.update(premise_cites)
        if len(derivations) >= 3 and premise_cites and premise_cites.most_common(1)[0][1] > len(derivations) / 2:
            fixated += 1
    skip_chain = sum(any(x in s["reason"] for x in SKIP_CHAIN_REASONS) for s in steps)

    report = {
        "n_samples": n, "n_problems": len(by_problem), "temperature": temperature,
        "samples_per_problem": samples_per_problem,
        "format_validity": round(well_formed / n, 4),
        "degenerate": {"share": round(degenerate / n, 4), "empty": empty, "conclude_only": conclude_only,
                       "identical_across_problems": shared},
        "mean_steps": round(sum(len(r["steps"]) for r in records) / n, 3),
        "distinct_traces_per_problem": round(distinct, 3),
        **trace_metrics(records),
        "diagnosis": breakdown(records),
        "gaming": {"premise_fixation_share": round(fixated / n, 4),
                   "skip_chain_share": round(skip_chain / len(steps), 4) if steps else 0.0,
                   "most_cited_premise": cited.most_common(1)[0][0] if cited else None},
    }
    fail, warn = [], []
    if report["format_validity"] < t.min_format_validity:
        fail.append(f"only {report['format_validity']:.0%} of traces are well-formed (need {t.min_format_validity:.0%})")
    if report["degenerate"]["share"] > t.max_degenerate:
        fail.append(f"{report['degenerate']['share']:.0%} of outputs are degenerate (empty, CONCLUDE-only or "
                    "identical across problems): the model has not learned the task")
    if temperature == 0 and samples_per_problem > 1:
        warn.append("temperature is 0 with several samples per problem: the samples are identical and DPO gets no pairs")
    if samples_per_problem > 1 and distinct / samples_per_problem < t.min_distinct_share:
        warn.append(f"low diversity: {distinct:.2f} distinct traces per problem out of {samples_per_problem}")
    if report["gaming"]["premise_fixation_share"] > t.max_premise_fixation:
        warn.append(f"verifier gaming? {report['gaming']['premise_fixation_share']:.0%} of traces cite one premise in most steps")
    if report["gaming"]["skip_chain_share"] > t.max_skip_chain:
        warn.append(f"{report['gaming']['skip_chain_share']:.0%} of steps cite a fact that is not the rule's subject "
                    "(they skip the chain: what a lax verifier would accept, the verifier-gaming pattern); the strict "
                    "solver counts them invalid, so here they are the model's rule-choice errors")
    report["verdict"] = "fail" if fail else "warn" if warn else "pass"
    report["reasons"] = fail + warn
    return report


def examples_markdown(records: list[dict], k: int = 3) -> str:
    """A few traces for a human to read: the first valid, the first invalid, and one more."""
    picks = [r for r in records if r["valid"]][:1] + [r for r in records if not r["valid"]][:1]
    picks += [r for r in records[len(records) // 2:] if r not in picks][: max(0, k - len(picks))]
    parts = []
    for r in picks:
        verdicts = "\n".join(f"- step {i}: {s['option']} {s['args']} -> {'valid' if s['valid'] else 'INVALID: ' + s['reason']}"
                             for i, s in enumerate(r["steps"]))
        parts.append(f"### {r['problem_id']} sample {r['sample']}: {'VALID' if r['valid'] else 'INVALID'} "
                     f"(answer {r['label']}, gold {r['gold']})\n\n```\n{r['text'].strip()}\n```\n\n{verdicts}\n")
    return "# Example traces\n\n" + "\n".join(parts)


def write_check(out_dir: str | Path, report: dict, records: list[dict]) -> None:
    write_json(Path(out_dir) / "check.json", report)
    write_text(Path(out_dir) / "examples.md", examples_markdown(records))
