"""Verdicts: compare a claim with the entries it binds to. One value: verified when the source rounds to the
written number (percent or fraction), else mismatch with the expected value and its source. Several different
values: unsupported naming them, or mismatch when none agrees; never verified by coincidence. Derived numbers
(k/n, intervals, ± std; ratios and differences in derived.py) are recomputed from their parts."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sokrates.metrics import wilson

from .binding import candidates, stages_of
from .context import ARROW, COUNT_NOUNS, OF_TOTAL, concepts, joined_run, total_of
from .derived import delta, derived
from .extraction import Claim
from .index import Entry, MetricsIndex
from .names import CONFIG, GENERIC, METRICS, RATES, is_stage, words
from .rounding import display, matches


def _holds(claim: Claim, source: float) -> bool:
    value = source * 100 if (claim.kind == "percent" or claim.value > 1) and abs(source) <= 1 else source
    return value > claim.value if claim.bound == ">" else value < claim.value


def judge(claim: Claim, index: MetricsIndex, siblings: list[Claim]) -> Claim:
    if "marked" in claim.extra:  # a number the drafter could not verify stays a mismatch until a person clears it
        claim.status, claim.rule = "mismatch", f"marked unverified in the draft: {claim.extra['marked']}"
        return claim
    if claim.link:
        path, _, key = claim.link.partition("#")
        entry = _linked(index, Path(claim.file).parent, path, key)
        if entry is None:
            claim.rule = f"provenance {claim.link} names no number in the metrics"
            return claim
        return compare(claim, [entry], index, "explicit provenance")
    if claim.extra.get("delta_of"):
        return delta(claim)
    if claim.kind in ("ratio", "difference"):
        return derived(claim, index, siblings)
    seen = concepts(claim, siblings, index.by_name)
    later = [c for c in siblings if c.pos > claim.pos]
    claim.extra["has_pm"] = bool(later) and later[0].role == "pm"
    if claim.role in ("ci_low", "ci_high", "pm"):
        owner = next((c for c in reversed(siblings) if c.role == "value" and c.pos < claim.pos), None)
        if owner is not None and owner.extra.get("entry") is not None:
            return _interval(claim, owner, index)
    if claim.kind == "fraction":
        return _fraction(claim, index, seen)
    of = _k_of_n(claim, siblings, index)
    if of:
        return of
    cands = candidates(claim, index, seen)
    if not cands:
        return claim
    counts = [x for e in cands for x in (index.sibling(e, "k"), index.sibling(e, "n")) if x is not None] \
        if claim.kind == "number" and claim.decimals <= 0 and claim.value >= 2 and seen["metric"] in RATES else []
    if counts:  # "answers 217 correctly", "796 valid steps": a count of the rate, its k (or its n), not the rate
        return _count_of_rate(claim, siblings, counts, seen["metric"], index)
    complement = "complement" in seen["tiers"][0 if claim.table else 2] and seen["metric"] in ("step_validity", "trace_validity")
    if complement:  # "the error rate of steps falls to 3.8%": the share not valid, 1 − the validity
        cands = [replace(e, value=(100.0 if e.value > 1 else 1.0) - e.value) for e in cands]
    listed = _listed_stage(claim, siblings, cands) if not claim.table and len({e.value for e in cands}) > 1 else None
    if listed:
        cands, claim.extra["stage_guess"] = [listed], True  # a reading of the list's order: never a mismatch
    compare(claim, cands, index, ("table row and column" if claim.table else "sentence") +
            (f"; the share not valid, 1 − {seen['metric']}" if complement else ""))
    guess = claim.extra.get("stage_guess") and not (claim.table and claim.extra.get("named_key"))
    if claim.status == "mismatch" and (not seen["tight"] or guess):
        claim.status = "unsupported"
        claim.rule += f"; its stage ({seen['stage']}) is only named earlier in the sentence, so not called a mismatch"
    if claim.status == "mismatch" and claim.extra.get("derived_of"):
        claim.status = "unsupported"
        claim.rule += f"; written as '{claim.extra['derived_of']}', whose total no metrics file holds: not called a mismatch"
    unexplained = claim.extra.get("said", set()) - set().union(*(e.names for e in cands))
    if claim.status == "mismatch" and unexplained:
        claim.status = "unsupported"
        claim.rule += f"; its context also names {sorted(unexplained)}, which the source does not: not called a mismatch"
    run = next((e for e in claim.extra.get("seed_runs", ()) if matches(claim.value, e.value, claim.decimals, claim.kind)), None)
    if claim.status == "mismatch" and run:
        claim.status = "unsupported"
        claim.rule += f"; it is one seed's value ({run.where}), not the seeds' mean: not called a mismatch"
    if claim.status == "mismatch":
        _other_metric_fits(claim, index, siblings, seen["metric"])
    return claim


LIST_GAP = re.compile(r"\s*(?:,|,?\s+and|,?\s+then)(?:\s+(?:finally|lastly|then))?\s*")


def _listed_stage(claim: Claim, siblings: list[Claim], cands: list[Entry]) -> Entry | None:
    """"step validity reaches 70.2%, 88.3% and finally 94.1%" (or "21.5% → 44.8% → 65.5%") over three stages: the k-th
    number of a list of as many numbers as the candidates have stages, one entry each, takes the k-th stage."""
    values = sorted((c for c in siblings if c.role == "value" and c.kind == claim.kind), key=lambda c: c.pos)
    i = values.index(claim)
    lo, hi = joined_run(values, i, claim.sentence, ARROW if claim.extra.get("chain") else LIST_GAP)
    ranks = sorted({r for e in cands for r in stages_of(e)})
    by_rank = {r: [e for e in cands if stages_of(e) == [r]] for r in ranks}
    if hi == lo or len(ranks) != hi - lo + 1 or any(len(group) != 1 for group in by_rank.values()):
        return None
    return by_rank[ranks[i - lo]][0]


def _other_metric_fits(claim: Claim, index: MetricsIndex, siblings: list[Claim], metric: str | None) -> None:
    """A mismatch against one metric stands only if no *other* metric that the sentence's words name holds the
    written number: "Samples averaged 3.6 steps" bound to the sample count, or "85.2% after the second iteration"
    to step validity when the sentence began with local step validity, is the checker's binding gone wrong, not the
    writer's number. The other metric must be named by a word of the sentence that the bound one's key lacks, and be
    neither the claim's own rate (another stage's or file's step validity is a figure copied from the wrong row) nor
    a rate the sentence gives another of its numbers ("a step validity of 74.3% and an accuracy of 0.600": swapped)."""
    bound = claim.extra["entry"].key_names if claim.extra.get("entry") else frozenset()
    others = {concepts(c, siblings, index.by_name)["metric"] for c in siblings if c is not claim and c.role == "value"}
    taken = (others & (METRICS | CONFIG)) - COUNT_NOUNS  # rates and settings other numbers of the sentence are given
    if metric not in COUNT_NOUNS:  # a rate or setting is the claim's own; a count noun ("problems") binds loosely
        taken.add(metric)
    said = {w for w in words(claim.sentence) if len(w) > 1 and w not in GENERIC and not is_stage(w) and not w.isdigit()}
    for e in index.entries:
        if not e.key_names & taken and (e.key_names - bound - GENERIC) & said \
                and matches(claim.value, e.value, claim.decimals, claim.kind):
            claim.status = "unsupported"
            claim.rule += f"; the sentence's words also fit {e.where} = {e.value:g}, which agrees: not called a mismatch"
            return


def _count_of_rate(claim: Claim, siblings: list[Claim], counts: list[Entry], metric: str, index: MetricsIndex) -> Claim:
    """A whole number bound to a rate is a count of it: verified when it is the rate's k or n; "224 of 300" where 300
    is the rate's n is a mismatch against its k; anything else unsupported."""
    agree = next((x for x in counts if matches(claim.value, x.value, 0, "number")), None)
    later = total_of(claim, siblings)
    total = next((x for x in counts if later and x.leaf == "n" and x.value == later.value), None)
    wrong_k = None if agree or total is None else index.sibling(total, "k")
    shown = agree or wrong_k or counts[0]
    claim.status = "verified" if agree else "mismatch" if wrong_k else "unsupported"
    claim.source, claim.expected = shown.where, shown.value
    claim.rule = f"a count of {metric}: " + ("its k or n" if agree else f"the k of {total.where} ({later.text})" if wrong_k
                                              else f"none of its k and n agrees ({', '.join(x.where for x in counts[:4])})")
    return claim


def _k_of_n(claim: Claim, siblings: list[Claim], index: MetricsIndex) -> Claim | None:
    """"3,788 of 4,000 sampled answers": the k and n of one rate, both verified when they sit together."""
    for c in siblings:
        if c is claim:
            continue
        first, second = (claim, c) if c.pos > claim.pos else (c, claim)
        between = claim.sentence[first.pos + len(first.text):second.pos]
        # "171 of 300", or the first of "171 → 179 of 300 traces" (a count before and after, of one total)
        if not (OF_TOTAL.fullmatch(between) or re.fullmatch(r"\s*(?:→|->|to)\s*[\d,]+" + OF_TOTAL.pattern, between)) \
                or first.value > second.value:
            continue
        for k in (e for e in index.entries if e.leaf == "k" and e.value == first.value):
            n = index.sibling(k, "n")
            if n is not None and n.value == second.value:
                claim.status, claim.source = "verified", (k if claim is first else n).where
                claim.expected, claim.rule = claim.value, f"k of n beside each other ({k.where})"
                return claim
        if not any(e.value == second.value for e in index.entries if e.leaf in ("n", "n_problems", "problems", "total")):
            claim.extra["derived_of"] = f"{first.text} of {second.text}"  # a count of a total no file holds: a sum
    return None


def _linked(index: MetricsIndex, doc_dir: Path, path: str, key: str) -> Entry | None:
    """The entry a provenance link names: its path relative to the draft, else to the metrics folder."""
    try:
        rel = (doc_dir / path).resolve().relative_to(index.root.resolve()).as_posix()
    except ValueError:
        rel = path.lstrip("./")
    return index.by_where.get(f"{rel}:{key}")


def compare(claim: Claim, cands: list[Entry], index: MetricsIndex, how: str) -> Claim:
    values = {round(e.value, 12) for e in cands}
    agree = [e for e in cands if matches(claim.value, e.value, claim.decimals, claim.kind)]
    if len(values) > 1:
        names = ", ".join(f"{e.where}={e.value:g}" for e in cands[:4])
        if agree:
            claim.rule = f"ambiguous: {len(cands)} sources with different values ({names})"
            return claim
        claim.source, claim.expected = cands[0].where, display(cands[0].value, claim)
        claim.rule = f"no single source, and none agrees ({names})"
        return claim
    entry = cands[0]
    claim.source, claim.expected = entry.where, display(entry.value, claim)
    claim.extra["entry"] = entry
    if claim.bound:
        claim.status = "verified" if _holds(claim, entry.value) else "mismatch"
        claim.rule = f"{how}; bound '{claim.bound} {claim.text}'"
        return claim
    ok = bool(agree)
    if not ok and claim.approx:
        claim.rule = f"{how}; approximate ('{claim.text}') and not within its precision: left unsupported"
        return claim
    claim.status = "verified" if ok else "mismatch"
    claim.rule = f"{how}; rounding to {claim.decimals} decimal(s)"
    if ok:
        _consistent(claim, entry, index)
    return claim


def _consistent(claim: Claim, entry: Entry, index: MetricsIndex) -> None:
    """A rate beside its k and n must be some k/n at the written precision."""
    if entry.leaf != "value":
        return
    n, k = index.sibling(entry, "n"), index.sibling(entry, "k")
    if n is None or k is None or not n.value:
        return
    if not any(matches(claim.value, kk / n.value, claim.decimals, claim.kind) for kk in range(int(n.value) + 1)):
        claim.status, claim.rule = "mismatch", f"no k/{int(n.value)} rounds to {claim.text}"


def _interval(claim: Claim, written: Claim, index: MetricsIndex) -> Claim:
    """An interval bound or a ± beside a bound value: Wilson from k/n (Wald when the sentence says so), else the
    file's own ci95_low/high or std (in the unit its value is written in)."""
    owner = written.extra["entry"]
    if claim.role == "pm":
        std = index.sibling(owner, "std")
        if std is None:
            claim.rule = "± with no std beside its value's source"
            return claim
        scale = 100 if (written.kind == "percent" or abs(written.value) > 1) and abs(owner.value) <= 1 else 1
        ok = any(v is not None and matches(claim.value, v * scale, claim.decimals, "number") for v in (std.value, std.alt))
        claim.status, claim.source = ("verified" if ok else "mismatch"), std.where
        claim.expected = round(std.value * scale, 6)
        claim.rule = "± against the std across seeds (sample or population)"
        return claim
    k, n = index.sibling(owner, "k"), index.sibling(owner, "n")
    leaf = "ci95_low" if claim.role == "ci_low" else "ci95_high"
    if k is not None and n is not None and n.value:
        wald = re.search(r"\bwald\b|normal approximation", claim.sentence, re.I)
        if wald:
            p = k.value / n.value
            half = 1.959964 * (p * (1 - p) / n.value) ** 0.5
            bound, name = (p - half if claim.role == "ci_low" else p + half), "Wald"
        else:
            low, high = wilson(int(k.value), int(n.value))
            bound, name = (low if claim.role == "ci_low" else high), "Wilson"
        claim.source = f"{owner.file}:{owner.key.rsplit('.', 1)[0]}.k/n"
        claim.rule = f"{name} interval of {int(k.value)}/{int(n.value)} gives {bound:.4f}"
    else:
        stated = index.sibling(owner, leaf)
        if stated is None:
            claim.rule = "an interval with no counts or bounds beside its value's source"
            return claim
        bound, claim.source, claim.rule = stated.value, stated.where, f"the file's own {leaf}"
    claim.expected = display(bound, claim)
    claim.status = "verified" if matches(claim.value, bound, claim.decimals, claim.kind) else "mismatch"
    return claim


def _fraction(claim: Claim, index: MetricsIndex, seen: dict) -> Claim:
    """"1,178/1,200": the k and n of the rate the context names, or any k and n that sit together."""
    pool = [e for e in index.entries if e.leaf == "k" and e.value == claim.k]
    pairs = [(e, index.sibling(e, "n")) for e in pool]
    pairs = [(e, n) for e, n in pairs if n is not None]
    if seen["metric"]:
        pairs = [(e, n) for e, n in pairs if seen["metric"] in e.names and (not seen["stage"] or seen["stage"] in e.names)]
    exact = [(e, n) for e, n in pairs if n.value == claim.n]
    if exact:
        claim.status, claim.source, claim.rule = "verified", exact[0][0].where, "k and n beside each other"
        return claim
    cands = candidates(claim, index, seen) if seen["metric"] else []
    rates = [e for e in cands if e.leaf == "value" and index.sibling(e, "k") and index.sibling(e, "n")]
    if len(rates) == 1:
        k, n = index.sibling(rates[0], "k"), index.sibling(rates[0], "n")
        claim.status, claim.source = "mismatch", rates[0].where
        claim.expected, claim.rule = k.value / n.value, f"the source holds {int(k.value)}/{int(n.value)}"
        return claim
    claim.rule = "no k and n found for this fraction"
    return claim

