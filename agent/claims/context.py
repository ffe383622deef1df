"""What a claim names: its metric (the one named nearest the number in its own clause; a table cell: its column
headers, then its row label), its stage (the one named nearest before it; "from X to Y" and "X → Y" pair numbers and
stages in order) and tiers of qualifier words from the nearest to the widest (dataset, method, run names), which
binding.candidates uses to narrow the entries."""
from __future__ import annotations

import re

from .extraction import Claim
from .names import CONFIG, GENERIC, METRICS, RATES, is_stage, positioned, words

CLAUSE = re.compile(r";|,\s*(?:while|whereas|but|yet|and|against|versus|compared|as|since|because|which|so|with|leaving|giving)\b|\sagainst\s|\s(?:while|whereas|but)\s|\bvs\.?\s")
COUNT_NOUNS = {"pairs", "problems", "samples", "examples", "steps", "epochs", "seeds", "iterations", "tokens",
               "layers", "heads", "parameters", "test", "train", "hops"}
UNITS = (COUNT_NOUNS - {"train", "test"}) | {"samples_per_problem", "pairs_per_problem", "wall_s"}
COUNTS = frozenset({"n", "num", "count", "size", "total"})  # keys that count what a split holds: n_test, train.size
STRUCTURE = frozenset({"value", "summary", "eval", "runs", "json", "results", "metrics", "k", "n", "ci95", "low", "high"})


OF_TOTAL = re.compile(r"\s+(?:out\s+)?of(?:\s+(?:the|its|their|our|all))?\s+")  # "k of (its) n"
ARROW = re.compile(r"\s*(?:→|->)\s*")  # "21.5% → 44.8% → 65.5%"


def joined_run(values: list[Claim], i: int, sentence: str, gap: re.Pattern) -> tuple[int, int]:
    """The first and last index of the run of numbers around values[i] that `gap` joins ("70.2%, 88.3% and 94.1%",
    "21.5% → 44.8% → 65.5%")."""
    joined = lambda a, b: gap.fullmatch(sentence[a.pos + len(a.text):b.pos])  # noqa: E731
    lo = hi = i
    while lo > 0 and joined(values[lo - 1], values[lo]):
        lo -= 1
    while hi + 1 < len(values) and joined(values[hi], values[hi + 1]):
        hi += 1
    return lo, hi


def _nearest(hits: list[tuple[int, str]], pos: int) -> str | None:
    before = [h for h in hits if h[0] < pos]
    if before:
        return max(before)[1]
    after = [h for h in hits if h[0] > pos]
    return min(after)[1] if after else None


def _clause(sentence: str, pos: int) -> tuple[int, int]:
    cuts = [0] + [m.end() for m in CLAUSE.finditer(sentence)] + [len(sentence)]
    start = max(c for c in cuts if c <= pos)
    end = min(c for c in cuts if c > pos) if any(c > pos for c in cuts) else len(sentence)
    return start, end


def stage_rank(stage: str) -> int:
    """SFT first, then a generic DPO stage, then the iterations in order."""
    return -1 if stage == "sft" else 0 if stage == "dpo" else int(stage[4:])


def previous_stage(stage: str) -> str:
    """The stage before one: SFT before DPO and before iteration 1, iteration K-1 before iteration K."""
    return "sft" if stage in ("dpo", "iter1") else f"iter{int(stage[4:]) - 1}" if stage.startswith("iter") else stage


IDENTIFIER_WORDS = {"checkpoint", "ckpt", "step", "steps", "seed", "seeds", "epoch", "epochs", "run", "layer", "model",
                    "premise"}


def _identifiers(hits: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Numbers that name something ("checkpoint 500", "seed 2") rather than state a result."""
    return [(p, w) for (q, prev), (p, w) in zip(hits, hits[1:]) if w.isdigit() and prev in IDENTIFIER_WORDS]


def _words_before(claim: Claim) -> list[str]:
    """The words of the claim's paragraph before its sentence (what earlier sentences named)."""
    return words(claim.paragraph[: max(0, len(claim.paragraph) - len(claim.sentence))])


def total_of(claim: Claim, siblings: list[Claim]) -> Claim | None:
    """The number right after the claim when "of" joins them ("1,200 of its 2,000 steps"): its total."""
    later = min((c for c in siblings if c.pos > claim.pos), key=lambda c: c.pos, default=None)
    return later if later is not None and OF_TOTAL.fullmatch(claim.sentence[claim.pos + len(claim.text):later.pos]) \
        else None


def _first(words_: list[str], *groups) -> str | None:
    for group in groups:
        found = next((w for w in words_ if w in group), None)
        if found:
            return found
    return None


def concepts(claim: Claim, siblings: list[Claim], index_names: dict | None = None) -> dict:
    """What a claim names: its metric, its stage, and tiers of qualifier words from the nearest to the widest
    (a cell: row and columns, then caption and heading; prose: the words just after the number, its segment
    between the neighbouring numbers, its clause, its sentence, the heading). `tight` is False when the stage or
    the metric is only a guess from further away (then a disagreement is not called a mismatch)."""
    if claim.table:
        cols = [w for c in claim.table["columns"] for w in words(c)]
        row = words(claim.table["row"])
        # a setting with its value ("lr = 5e-6", a sweep grid's column) names the run, not the quantity
        valued = {w.split("=")[0] for w in cols + row if "=" in w}
        metric = _first([w for w in cols + row if w not in valued], METRICS, CONFIG, COUNT_NOUNS)
        stage = next((w for w in reversed(row) if is_stage(w)), None) or next((w for w in cols if is_stage(w)), None)
        # a caption's or heading's own number ("Table 1.", "## 4. Results") says nothing about the entry
        background = [w for w in words(claim.table["caption"]) + words(claim.heading) if not w.isdigit()]
        named = {w for w in words(claim.table["caption"]) if w in METRICS}
        metric = metric or (named.pop() if len(named) == 1 else None)  # "Table 3: Step validity (%) after ..."
        soft = stage is None
        stage = stage or next((w for w in background if is_stage(w)), None)
        return {"metric": metric, "stage": stage, "tiers": [set(row + cols), set(background)], "tight": True,
                "soft": soft}
    sentence, pos = claim.sentence, claim.pos
    a, b = _clause(sentence, pos)
    hits = positioned(sentence)
    ids = _identifiers(hits)
    hits = sorted([h for h in hits if not h[1].isdigit()] + ids)
    in_clause = [h for h in hits if a <= h[0] < b]
    nxt = min((c.pos for c in siblings if c.pos > pos), default=b)
    prev = max((c.pos + len(c.text) for c in siblings if c.pos < pos), default=a)
    unit = next((h for h in in_clause if prev <= h[0] < pos), None)
    if unit and unit[1] in UNITS | METRICS and re.search(r"[,;/]", sentence[unit[0]:pos]):
        prev = unit[0] + 1  # "438 problems, the second 572 pairs" / "552 pairs / 1,000 problems": the noun is the number before
    segment = [h for h in in_clause if max(a, prev) <= h[0] < min(b, nxt)]
    end = pos + len(claim.text)
    comma = re.search(r"[,;]", sentence[end:])  # "accuracy by 3.4 points, step validity by 1.1"
    until = end + comma.start() if comma else b
    # "51.2% (accuracy 68.8%)": a bracket holding another number names that number's metric, not this one's
    brackets = [m.span() for m in re.finditer(r"\([^()]*\)", sentence)]
    asides = [(x, y) for x, y in brackets if any(x < c.pos < y for c in siblings if c is not claim)]
    first = next(((x, y) for x, y in brackets if end <= x < until), None)
    if first in asides:
        until = first[0] + 1
    after = [w for p, w in segment if pos < p < until][:4]
    if total := total_of(claim, siblings):  # "1,200 of its 2,000 steps are valid": the words after the total
        after = [w for p, w in in_clause if p > total.pos + len(total.text)][:4]
    tight = True
    metric = None
    for w in after:  # "1,594 pairs", "14,346 generated problems", "28.1% MFU"; not across "and a ..."
        if w in (RATES if claim.kind == "percent" else UNITS | METRICS):
            metric = w
            break
        if w in GENERIC and w not in ("the", "a", "an", "of", "its", "our", "their"):
            break  # "26 cite the wrong index", "71.1% of its proof steps are valid": these do not end it
    rates = RATES if claim.kind == "percent" else METRICS | CONFIG  # a percentage is a rate, never a count or setting
    if metric is None:
        metric = _nearest([h for h in in_clause if h[1] in rates], pos) or \
            (None if claim.kind == "percent" else _nearest([h for h in segment if h[1] in COUNT_NOUNS], pos))
    if metric is None:  # named only in another clause of the sentence: a disagreement is not a mismatch
        outside = [h for h in hits if h[1] in rates and not any(x < h[0] < y for x, y in asides)]
        metric, tight = _nearest(outside, pos), False
    if metric is None:  # named in an earlier sentence of the paragraph
        earlier = [w for w in _words_before(claim) if w in rates]
        metric, tight = (earlier[-1], False) if earlier else (None, tight)
    stages = [h for h in hits if is_stage(h[1])]
    paired = _from_to(claim, siblings, stages, sentence)
    if paired == UNRESOLVED and ids:
        paired = _from_to(claim, siblings, ids, sentence)
    named_after = _stage_after(claim, siblings, stages, b)
    own = named_after or _nearest([h for h in stages if a <= h[0] < b], pos)
    subject = index_names is not None and any(w in index_names and w not in GENERIC and w != metric and
                                              not is_stage(w) and w not in METRICS | CONFIG for _, w in in_clause)
    if re.search(r"\b(?:at|by|in) the end\b|\bfinal(?:ly)? (?:model|stage|iteration|round)\b", sentence[a:b], re.I) \
            and not own and not paired:
        claim.extra["span_end"] = 1  # "to 73.5% at the end": the last stage of what it names
    unstaged = claim.extra.get("after_sft") or claim.extra.get("chain") or "span_end" in claim.extra
    # "from 3,412 in the first iteration to 702 in the third": a stage named right after the number is its own, before
    # any reading of the pair
    stage = named_after if named_after and paired != UNRESOLVED else paired if paired and is_stage(paired) else \
        None if unstaged else own
    tight = tight and paired != UNRESOLVED
    if not paired and any(w == "span" for _, w in in_clause):
        tight = False  # "552 and 572 pairs in the two iterations": a span names no one stage for a number
    guess = not subject and not unstaged
    if stage is None and guess:
        stage, tight = _nearest([h for h in stages if h[0] < pos], pos), False
    # "Before the first DPO round we sample ... Only 438 problems yield a pair": the DPO round the paragraph named
    # last before the number, for a number that only staged entries can mean (candidates), as a guess
    stages_before = [w for w in _words_before(claim) if is_stage(w)] + [w for p, w in stages if p < pos]
    soft = False
    if stage is None and guess:
        stage = next((w for w in reversed(words(claim.heading)) if is_stage(w)), None)
        soft = stage is not None
    # "(β = 0.1, lr = 5e-6) reaches 81.3% ..., above our default (β = 0.1, lr = 1e-6)", "on 3-hop problems (78.7%)
    # and least on 2-hop ones": of each setting's values and of the depths, the one named nearest the number is its
    family = lambda w: w.split("=")[0] if "=" in w else "hops" if re.fullmatch(r"hops\d+", w) else None  # noqa: E731
    nearest: dict = {}
    for p, w in (h for h in hits if family(h[1])):
        if family(w) not in nearest or abs(p - pos) < abs(nearest[family(w)][0] - pos):
            nearest[family(w)] = (p, w)
    far = {w for _, w in hits if family(w)} - {w for _, w in nearest.values()}
    tiers = [{w for w in tier if w not in far} for tier in (
        set(after), {w for _, w in segment}, {w for _, w in in_clause}, {w for _, w in hits},
        {w for w in words(claim.heading) if not w.isdigit()})]
    if paired and paired != UNRESOLVED and not is_stage(paired):
        tiers[0] = tiers[1] = (tiers[1] - {w for _, w in ids}) | {paired}
    rounds = [w for w in stages_before if re.fullmatch(r"iter\d+", w)]  # "the first DPO round ... the DPO loss": that round
    return {"metric": metric, "stage": stage, "tiers": tiers, "tight": tight, "soft": soft,
            "carried": rounds[-1] if rounds and not unstaged and stage is None else None}


def _stage_after(claim: Claim, siblings: list[Claim], stages: list, end: int) -> str | None:
    """"38.8% after DPO iteration 1": a stage named right after the number, before any other number."""
    nxt = min((c.pos for c in siblings if c.pos > claim.pos), default=end)
    after = [(p, w) for p, w in stages if claim.pos < p < min(nxt, end)]
    if after and re.match(r"[%)\]]*\s*(?:points?\s+)?(?:after|for|at|in|with|of|on|by|from)\b",
                          claim.sentence[claim.pos + len(claim.text):after[0][0]].strip() + " x"):
        return after[0][1]
    return None


def _from_to(claim: Claim, siblings: list[Claim], named: list[tuple[int, str]], sentence: str) -> str | None:
    """"rises from X to Y", "X → Y": which of the two names (stages, or identifiers such as checkpoints) this
    number belongs to. Two stages named around the pair: earlier stage first; one stage S: S and the stage before
    it ("the first DPO iteration lifts it from X to Y"); none: the last two stages named earlier in the paragraph."""
    values = sorted((c for c in siblings if c.role == "value" and c.kind in ("number", "percent")), key=lambda c: c.pos)
    i = values.index(claim) if claim in values else -1
    if i < 0:
        return None
    gap = lambda x, y: sentence[x.pos + len(x.text):y.pos]  # noqa: E731
    def pair(x: Claim, y: Claim) -> bool:
        between = gap(x, y)
        return bool(re.search(r"→|->|\\rightarrow", between) and len(between) < 12 or re.search(r"\bto\b", between)
                    and re.search(r"\bfrom\b", sentence[max(0, x.pos - 60):x.pos]))
    lo, hi = joined_run(values, i, sentence, ARROW)
    if hi - lo >= 2:
        claim.extra["chain"] = True  # "21.5% → 44.8% → 65.5%": a list in stage order (verdicts), not a pair
        return None
    if i + 1 < len(values) and pair(claim, values[i + 1]):
        first, second, index = claim, values[i + 1], 0
    elif i > 0 and pair(values[i - 1], claim):
        first, second, index = values[i - 1], claim, 1
    else:
        return None
    a, b = _clause(sentence, first.pos)
    lo = max([c.pos + len(c.text) for c in values if c.pos < first.pos] + [a])
    hi = min([c.pos for c in values if c.pos > second.pos] + [max(b, second.pos + 1)])
    names = list(dict.fromkeys(w for p, w in named if lo <= p < hi)) or list(dict.fromkeys(w for _, w in named))
    if "dpo" in names and any(re.fullmatch(r"iter\d+", w) for w in names):
        names.remove("dpo")  # "DPO lifts it from X to Y after the first iteration": SFT → iteration 1
    if named and all(is_stage(w) for w in names) or not names:
        if len(names) == 1 and names[0] != "sft":
            names = [previous_stage(names[0]), names[0]]
        elif not names:  # a guess from the sentences before: a disagreement is then not a mismatch
            names = list(dict.fromkeys(w for w in _words_before(claim) if is_stage(w)))[-2:]
            if "dpo" in names and any(re.fullmatch(r"iter\d+", w) for w in names):
                names.remove("dpo")
            names = [previous_stage(names[0]), names[0]] if len(names) == 1 and names[0] != "sft" else names
            claim.extra["stage_guess"] = True
        names = sorted(names, key=stage_rank) if len(names) == 2 and all(is_stage(w) for w in names) else names
    if not names:
        claim.extra["span_end"] = index  # no stage named anywhere: the first and the last stage of what it names
    if names == ["sft"] and index == 1:
        claim.extra["after_sft"] = True  # "over SFT (28.4% → 90.3%)": the second is not SFT's; its words say whose
    return names[index] if len(names) == 2 else UNRESOLVED


UNRESOLVED = "?"  # a from-to pair whose two stages are not named: its numbers are never called a mismatch
