"""Verdicts: compare a claim with the entries it binds to. One value: verified when the source rounds to the
written number (percent or fraction), else mismatch with the expected value and its source. Several different
values: unsupported naming them, or mismatch when none agrees; never verified by coincidence. Derived numbers
(ratios, differences, k/n, intervals, ± std) are recomputed from their parts."""
from __future__ import annotations

import re
from pathlib import Path

from sokrates.metrics import wilson

from .binding import COUNT_NOUNS, candidates, concepts, previous_stage, stage_rank, stages_of
from .extraction import Claim
from .index import Entry, MetricsIndex
from .names import CONFIG, GENERIC, METRICS, is_stage, words


def matches(written: float, source: float, decimals: int, kind: str) -> bool:
    tol = 0.5 * 10 ** -decimals + 1e-9
    if kind == "percent":
        return abs(source * 100 - written) <= tol or (abs(source) > 1 and abs(source - written) <= tol)
    return abs(source - written) <= tol or (abs(source) <= 1 < abs(written) and abs(source * 100 - written) <= tol)


def _display(source: float, claim: Claim) -> float:
    scaled = claim.kind == "percent" and abs(source) <= 1 or abs(source) <= 1 < abs(claim.value)
    return round(source * 100 if scaled else source, 6)


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
        return _delta(claim)
    if claim.kind in ("ratio", "difference"):
        return _derived(claim, index, siblings)
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
    listed = _listed_stage(claim, siblings, cands) if not claim.table and len({e.value for e in cands}) > 1 else None
    if listed:
        cands, claim.extra["stage_guess"] = [listed], True  # a reading of the list's order: never a mismatch
    compare(claim, cands, index, "table row and column" if claim.table else "sentence")
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
    if claim.status == "mismatch":
        _other_metric_fits(claim, index, siblings, seen["metric"])
    return claim


LIST_GAP = re.compile(r"\s*(?:,|,?\s+and|,?\s+then)(?:\s+(?:finally|lastly|then))?\s*")


def _listed_stage(claim: Claim, siblings: list[Claim], cands: list[Entry]) -> Entry | None:
    """"step validity reaches 70.2%, 88.3% and finally 94.1%" over three iterations: the k-th number of a list of as
    many numbers as the candidates have stages, one entry each, takes the k-th stage."""
    values = sorted((c for c in siblings if c.role == "value" and c.kind == claim.kind), key=lambda c: c.pos)
    i = values.index(claim)
    lo = hi = i
    joined = lambda a, b: LIST_GAP.fullmatch(claim.sentence[a.pos + len(a.text):b.pos])  # noqa: E731
    while lo > 0 and joined(values[lo - 1], values[lo]):
        lo -= 1
    while hi + 1 < len(values) and joined(values[hi], values[hi + 1]):
        hi += 1
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


def _delta(claim: Claim) -> Claim:
    """A Δ-column cell against the value to its left minus the first row's (or the previous row's) in that column,
    as written (the values themselves are checked as cells); in points when the values are fractions."""
    tried = []
    for base, value in claim.extra["delta_of"]:
        change = value.value - base.value
        for scaled in (change, change * 100) if abs(value.value) <= 1 and abs(base.value) <= 1 else (change,):
            tried.append(round(scaled, 6))
            if matches(claim.value, scaled, claim.decimals, "number"):
                claim.status, claim.source, claim.expected = "verified", f"written {value.text} − {base.text}", tried[-1]
                claim.rule = f"Δ column: {value.text} − {base.text} = {scaled:.4g}"
                return claim
    base, value = claim.extra["delta_of"][0]
    claim.status, claim.source, claim.expected = "mismatch", f"written {value.text} − {base.text}", tried[0]
    claim.rule = f"Δ column: {value.text} − {base.text} = {tried[0]:.4g}, not {claim.text}"
    return claim


def _k_of_n(claim: Claim, siblings: list[Claim], index: MetricsIndex) -> Claim | None:
    """"3,788 of 4,000 sampled answers": the k and n of one rate, both verified when they sit together."""
    for c in siblings:
        if c is claim:
            continue
        first, second = (claim, c) if c.pos > claim.pos else (c, claim)
        between = claim.sentence[first.pos + len(first.text):second.pos]
        # "171 of 300", or the first of "171 → 179 of 300 traces" (a count before and after, of one total)
        if not re.fullmatch(r"\s+(?:out\s+)?of(?:\s+the)?\s+|\s*(?:→|->|to)\s*[\d,]+\s+(?:out\s+)?of(?:\s+the)?\s+", between) \
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
        claim.source, claim.expected = cands[0].where, _display(cands[0].value, claim)
        claim.rule = f"no single source, and none agrees ({names})"
        return claim
    entry = cands[0]
    claim.source, claim.expected = entry.where, _display(entry.value, claim)
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
    claim.expected = _display(bound, claim)
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


def _derived(claim: Claim, index: MetricsIndex, siblings: list[Claim]) -> Claim:
    """Ratios (44×) and differences (+4.1 points) of the two values the sentence names: its own two numbers when it
    writes them, else two stages or two named sources of one metric."""
    pair = _written_pair(claim, siblings)
    how = "the sentence's two numbers"
    if pair is None:
        pair, how = _named_pair(claim, index), "two sources named in its clause"
    values = [c for c in siblings if c is not claim and c.role == "value" and c.kind in ("number", "percent", "fraction")]
    if pair is None and sum(c.pos < claim.pos for c in values) < 2 and len(values) >= 2 and values[0].kind == values[1].kind:
        pair, how = [_value_and_source(c) for c in values[:2]], "the sentence's first two numbers"
    if pair is None:
        claim.rule = "a ratio or difference needs the two values it compares"
        return claim
    (a, a_name), (b, b_name) = pair
    if claim.kind == "ratio":
        (big, big_name), (small, small_name) = sorted(pair, key=lambda x: -x[0])
        computed = big / small if small else float("inf")
        claim.rule = f"ratio of {how}: {big_name} ({big:g}) ÷ {small_name} ({small:g}) = {computed:.4g}×"
    else:
        scale = 100 if abs(a) <= 1 and abs(b) <= 1 and not (claim.text.endswith("%") or "percent" in claim.sentence) \
            else 1
        computed = abs(b - a) * scale
        claim.rule = f"difference of {how}: |{b_name} ({b:g}) − {a_name} ({a:g})| = {computed:.4g} points"
        if claim.text.endswith("%") and a:
            relative = abs(b - a) / abs(a) * 100
            if matches(claim.value, relative, claim.decimals, "number"):
                computed, claim.rule = relative, f"relative change {how}: {relative:.4g}%"
    claim.source = f"{a_name} ; {b_name}"
    claim.expected = round(computed, 6)
    ok = matches(claim.value, computed, claim.decimals, "number")
    if not ok and claim.kind == "difference" and "relative" not in claim.rule:  # as a reader takes it from the values shown
        shown = abs(round(b * scale, claim.decimals) - round(a * scale, claim.decimals))
        if matches(claim.value, shown, claim.decimals, "number"):
            ok, claim.rule = True, claim.rule + f"; {shown:g} from the two values rounded to {claim.decimals} decimal(s)"
    if not ok and claim.kind == "ratio" and not claim.extra.get("explicit_pair"):
        other = _other_pair(claim, siblings, index)
        if other:
            (x, x_name), (y, y_name) = other
            claim.source, claim.expected, ok = f"{x_name} ; {y_name}", round(x / y, 6), True
            claim.rule = f"ratio of {x_name} ({x:g}) ÷ {y_name} ({y:g}) = {x / y:.4g}× (a source the sentence binds, " \
                         "against another of the same metric)"
    claim.status = "verified" if ok else ("unsupported" if claim.approx or claim.extra.get("loose_pair") else "mismatch")
    return claim


def _other_pair(claim: Claim, siblings: list[Claim], index: MetricsIndex):
    """"2,200 problems per hour ... and 44× one-at-a-time generation": a number of the sentence bound to a source,
    divided by another source of the same metric, when that ratio is the one written."""
    for c in siblings:
        entry = c.extra.get("entry")
        if entry is None:
            continue
        for other in index.named(entry.key_names - {"value"}):
            if other is entry or other.leaf != entry.leaf or not other.value:
                continue
            big, small = max(entry.value, other.value), min(entry.value, other.value)
            if small and matches(claim.value, big / small, claim.decimals, "number"):
                return (big, entry.where if big == entry.value else other.where), \
                    (small, other.where if small == other.value else entry.where)
    return None


def _written_pair(claim: Claim, siblings: list[Claim]):
    """The two numbers a ratio or difference compares: the two in its own clause ("610 problems per hour, 3.6x
    slower than vLLM" pairs 610 with vLLM's number in the sentence), else the two nearest before it."""
    values = [c for c in siblings if c is not claim and c.role == "value" and c.kind in ("number", "percent", "fraction")]
    if len(values) < 2:
        return None
    than = re.search(r"\b(?:than|over|vs\.?|versus|against)\s+([\w-]+(?:\s+[\w-]+)?)", claim.sentence[claim.pos:])
    if than:
        near = [c for c in values if abs(c.pos - claim.pos) < 60 and c.pos < claim.pos][-1:]
        named = set(words(than.group(1))) - {"the", "a", "one"}
        other = [c for c in values if c not in near and c.extra.get("entry") is not None and named & c.extra["entry"].names]
        if near and other:
            chosen = [near[0], other[0]]
            claim.extra["explicit_pair"] = True  # "X, 3.6x slower than vLLM": no other pair may stand in
            return [_value_and_source(c) for c in chosen]
    following = sorted((c for c in values if c.pos > claim.pos), key=lambda c: c.pos)[:2]
    gap = claim.sentence[claim.pos + len(claim.text):following[0].pos] if following else ""
    joined = len(following) == 2 and re.fullmatch(
        r"%?\s*(?:vs\.?|versus|against|→|->|to|and|/)\s*", claim.sentence[following[0].pos + len(following[0].text):following[1].pos])
    if joined and "(" in gap and not re.search(r"\)|;|\b(?:while|whereas|but|and)\b", gap):
        return [_value_and_source(c) for c in following]  # "by 57.5 points (98.7 vs. 41.2)"
    if joined and re.fullmatch(r"\s*(?:percentage\s+)?(?:points?|pp|%)?\s*,?\s*from\s+", gap):
        claim.extra["explicit_pair"] = True
        return [_value_and_source(c) for c in following]  # "by 3.3 points, from 72.3% to 75.7%"
    before = [c for c in values if c.pos < claim.pos][-2:]
    if len(before) < 2:
        return None  # two stages it names, else the sentence's first two numbers (_derived)
    beside = words(claim.sentence[before[-1].pos + len(before[-1].text):claim.pos]) + \
        list(concepts(claim, siblings)["tiers"][0])  # "; accuracy improves by 11.1", "by 11.1 points of accuracy"
    metric = next((w for w in reversed(beside) if w in METRICS), None)
    if metric and all(c.extra.get("entry") is not None and metric not in c.extra["entry"].key_names for c in before):
        return None  # "...; accuracy improves by 11.1 points" after trace validity's two numbers: not its pair
    chosen = before
    if chosen[0].kind != chosen[1].kind:
        return None
    if re.search(r";|,\s*(?:and|while|but)\b", claim.sentence[chosen[1].pos:claim.pos]):
        claim.extra["loose_pair"] = True  # the pair stands in another clause: a disagreement is not a mismatch
    elif re.search(r"\bfrom\s+$", claim.sentence[:chosen[0].pos]) and re.fullmatch(
            r"%?\s*(?:to|→|->)\s*", claim.sentence[chosen[0].pos + len(chosen[0].text):chosen[1].pos]):
        claim.extra["explicit_pair"] = True  # "from 0.45 to 0.57, a 1.27× gain": no other pair may stand in
    return [_value_and_source(c) for c in chosen]


def _value_and_source(c: Claim) -> tuple[float, str]:
    """A number of the sentence and where it comes from: its bound source's value in the written units (a difference
    of 72.3% and 75.7% is 3.3 points when the files hold 0.7233 and 0.7567), else the text itself."""
    entry = c.extra.get("entry")
    return (_display(entry.value, c), entry.where) if entry is not None and c.status == "verified" else \
        (c.value, f"written {c.text}")


def _named_pair(claim: Claim, index: MetricsIndex):
    seen = concepts(claim, [], index.by_name)
    metric = seen["metric"]
    if metric is None:
        return None
    stages = list(dict.fromkeys(w for w in seen["tiers"][2] if is_stage(w)))  # named in its own clause
    if not stages and "span" in seen["tiers"][3]:  # else the span the sentence names ("two rounds of DPO raise ...")
        stages = [w for w in dict.fromkeys(words(claim.sentence)) if is_stage(w)]
    if len(stages) > 2 and "dpo" in stages:
        stages.remove("dpo")  # "DPO improves ... after two iterations": the generic stage beside the named ones
    picks = []
    if len(stages) == 1 and stages[0] != "sft":
        stages = [previous_stage(stages[0]), stages[0]]  # "the gain in the first iteration": against the stage before
        claim.extra["loose_pair"] = True  # the earlier stage is unwritten: a disagreement is not a mismatch
    if len(stages) == 2:
        probe = Claim("", 0, "", 0.0, sentence=claim.sentence, pos=claim.pos)
        found = [candidates(probe, index, {**seen, "stage": stage}) for stage in sorted(stages, key=stage_rank)]
        for i, c in enumerate(found):
            other = found[1 - i]
            if len({e.value for e in c}) > 1 and len({e.value for e in other}) == 1:
                # of "SFT" on two datasets, the one that shares the other stage's entry's remaining names
                kin = lambda e: len({w for w in e.names & other[0].names if not is_stage(w)})  # noqa: E731
                c = [e for e in c if kin(e) == max(map(kin, c))]
            if len({e.value for e in c}) == 1:
                picks.append((c[0].value, c[0].where))
    else:
        pool = [e for e in index.named({metric}) if e.leaf not in ("k", "n")]
        strong = set().union(*seen["tiers"][:3]) - {metric}
        groups: dict = {}
        for e in pool:
            hit = frozenset(e.names & strong - {"value", "summary", "json", "runs", "problems"})
            if hit:
                groups.setdefault(hit, []).append(e)
        picks = [(g[0].value, g[0].where) for g in groups.values() if len({e.value for e in g}) == 1][:3]
    return picks if len(picks) == 2 and picks[0][1] != picks[1][1] else None  # never one source against itself
