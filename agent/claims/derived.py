"""Derived numbers: ratios (44x), differences (+4.1 points) and Δ columns, recomputed from the two values they compare:
the sentence's own numbers when it writes them, else two stages or two named sources of one metric."""
from __future__ import annotations

import re

from .binding import candidates
from .context import concepts, previous_stage, stage_rank
from .extraction import Claim
from .index import MetricsIndex
from .names import METRICS, is_stage, words
from .rounding import display, matches


def delta(claim: Claim) -> Claim:
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


def derived(claim: Claim, index: MetricsIndex, siblings: list[Claim]) -> Claim:
    """Ratios (44×) and differences (+4.1 points) of the two values the sentence names: its own two numbers when it
    writes them, else two stages or two named sources of one metric."""
    pair = _written_pair(claim, siblings, index)
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


def _written_pair(claim: Claim, siblings: list[Claim], index: MetricsIndex | None = None):
    """The two numbers a ratio or difference compares: the two in its own clause ("610 problems per hour, 3.6x
    slower than vLLM" pairs 610 with vLLM's number in the sentence; "81.3% ..., 7.9 points above our default (β = 0.1,
    lr = 1e-6)" with that run's number), else the two nearest before it."""
    values = [c for c in siblings if c is not claim and c.role == "value" and c.kind in ("number", "percent", "fraction")]
    if len(values) < 2:
        return None
    following = sorted((c for c in values if c.pos > claim.pos), key=lambda c: c.pos)[:2]
    gap = claim.sentence[claim.pos + len(claim.text):following[0].pos] if following else ""
    joined = len(following) == 2 and re.fullmatch(
        r"%?\s*(?:vs\.?|versus|against|→|->|to|and|/)\s*", claim.sentence[following[0].pos + len(following[0].text):following[1].pos])
    if joined and "(" in gap and not re.search(r"\)|;|\b(?:while|whereas|but|and)\b", gap):
        return [_value_and_source(c) for c in following]  # "by 57.5 points (98.7 vs. 41.2)", "over SFT (28.4% → 90.3%)"
    than = re.search(r"\b(?:than|over|vs\.?|versus|against|above|below)\s+([\w-]+(?:\s+[\w-]+)?)", claim.sentence[claim.pos:])
    if than:
        near = [c for c in values if abs(c.pos - claim.pos) < 60 and c.pos < claim.pos][-1:]
        named = set(words(than.group(1))) - {"the", "a", "one"}
        other = [c for c in values if c not in near and c.extra.get("entry") is not None and named & c.extra["entry"].names]
        if near and other:
            chosen = [near[0], other[0]]
            claim.extra["explicit_pair"] = True  # "X, 3.6x slower than vLLM": no other pair may stand in
            return [_value_and_source(c) for c in chosen]
        entry = near[0].extra.get("entry") if near else None
        settings = {w for w in words(re.split(r"[;]", claim.sentence[claim.pos + than.start():])[0]) if "=" in w}
        runs = [e for e in index.entries if e.leaf == entry.leaf and settings <= e.names and e is not entry] \
            if entry is not None and settings and index is not None else []
        if len({e.value for e in runs}) == 1:  # "... above our default (β = 0.1, lr = 1e-6)": that run's number
            claim.extra["explicit_pair"] = True
            return [(display(e.value, near[0]), e.where) for e in (entry, runs[0])]  # the files' values, as written
    if joined and re.fullmatch(r"\s*(?:percentage\s+)?(?:points?|pp|%)?\s*,?\s*from\s+", gap):
        claim.extra["explicit_pair"] = True
        return [_value_and_source(c) for c in following]  # "by 3.3 points, from 72.3% to 75.7%"
    before = [c for c in values if c.pos < claim.pos][-2:]
    if len(before) < 2:
        return None  # two stages it names, else the sentence's first two numbers (derived)
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
    return (display(entry.value, c), entry.where) if entry is not None and c.status == "verified" else \
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
