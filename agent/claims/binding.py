"""Binding: which metrics entries a claim can mean. Its metric is the one named nearest the number in its own
clause (a table cell: its column headers, then its row label); its stage the one named nearest before it ("from
X to Y" and "X → Y" pair numbers and stages in order); its qualifiers (dataset, method, run names) narrow the
entries further. A claim that names no metric binds to nothing."""
from __future__ import annotations

import re

from .extraction import Claim
from .index import Entry, MetricsIndex
from .names import CONFIG, GENERIC, METRICS, is_stage, positioned, words

CLAUSE = re.compile(r";|,\s*(?:while|whereas|but|and|against|versus|compared|as|since|because|which|so|with|leaving|giving)\b|\sagainst\s|\s(?:while|whereas|but)\s|\bvs\.?\s")
COUNT_NOUNS = {"pairs", "problems", "samples", "examples", "steps", "epochs", "seeds", "iterations", "tokens",
               "layers", "heads", "parameters", "test", "train", "hops"}
UNITS = (COUNT_NOUNS - {"train", "test"}) | {"samples_per_problem", "wall_s"}
STRUCTURE = frozenset({"value", "summary", "eval", "runs", "json", "results", "metrics", "k", "n", "ci95", "low", "high"})


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


def _stage_order(stages: list[str]) -> list[str]:
    return sorted(dict.fromkeys(stages), key=lambda s: -1 if s == "sft" else int(s[4:]))


IDENTIFIER_WORDS = {"checkpoint", "ckpt", "step", "steps", "seed", "seeds", "epoch", "epochs", "run", "layer", "model"}


def _identifiers(hits: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Numbers that name something ("checkpoint 500", "seed 2") rather than state a result."""
    return [(p, w) for (q, prev), (p, w) in zip(hits, hits[1:]) if w.isdigit() and prev in IDENTIFIER_WORDS]


def concepts(claim: Claim, siblings: list[Claim], index_names: dict | None = None) -> dict:
    """What a claim names: its metric, its stage, and tiers of qualifier words from the nearest to the widest
    (a cell: row and columns, then caption and heading; prose: the words near the number, its clause, its
    sentence, the heading). `tight` is False when the stage is a guess."""
    if claim.table:
        cols = [w for c in claim.table["columns"] for w in words(c)]
        row = words(claim.table["row"])
        metric = next((w for w in cols + row if w in METRICS | CONFIG), None) or \
            next((w for w in cols + row if w in COUNT_NOUNS), None)
        stage = next((w for w in row + cols if is_stage(w)), None)
        background = words(claim.table["caption"]) + words(claim.heading)
        soft = stage is None
        stage = stage or next((w for w in background if is_stage(w)), None)
        return {"metric": metric, "stage": stage, "tiers": [set(row + cols), set(background)], "tight": True,
                "soft": soft}
    sentence, pos = claim.sentence, claim.pos
    a, b = _clause(sentence, pos)
    hits = positioned(sentence)
    ids = _identifiers(hits)
    hits = [h for h in hits if not h[1].isdigit()] + ids
    in_clause = [h for h in hits if a <= h[0] < b]
    window = [h for h in in_clause if pos - 40 <= h[0] <= pos + 40]
    nxt = min((c.pos for c in siblings if c.pos > pos), default=b)
    prev = max((c.pos + len(c.text) for c in siblings if c.pos < pos), default=a)
    segment = [h for h in in_clause if max(a, prev) <= h[0] < min(b, nxt)]
    follows = [w for p, w in segment if p > pos][:3]
    rates = METRICS if claim.kind == "percent" else METRICS | CONFIG  # a percentage is never a count or a setting
    unit = None
    for w in follows:  # "1,594 pairs", "14,346 generated problems", "28.1% MFU"; not across "and a ..."
        if w in (METRICS if claim.kind == "percent" else UNITS | METRICS):
            unit = w
            break
        if w in GENERIC:
            break
    metric = unit or \
        _nearest([h for h in in_clause if h[1] in rates], pos) or \
        _nearest([h for h in hits if h[1] in rates], pos) or \
        next((w for p, w in in_clause if p > pos and w in COUNT_NOUNS and p - pos < 40), None) or \
        next((w for _, w in window if w in COUNT_NOUNS), None)
    stages = [h for h in hits if is_stage(h[1])]
    clause_values = [c for c in siblings if a <= c.pos < b]
    clause_text = sentence[a:b]
    local = [(p - a, w) for p, w in stages if a <= p < b], [(p - a, w) for p, w in ids if a <= p < b]
    paired = _paired(claim, clause_values, local[0], clause_text) or _paired(claim, clause_values, local[1], clause_text) \
        or _paired(claim, siblings, stages, sentence) or _paired(claim, siblings, ids, sentence)
    own = _stage_after(claim, siblings, stages, b) or _nearest([h for h in stages if a <= h[0] < b], pos)
    subject = index_names is not None and any(w in index_names and w not in GENERIC and w != metric and
                                              not is_stage(w) and w not in METRICS | CONFIG for _, w in in_clause)
    stage, tight = (paired, True) if paired and is_stage(paired) else (own, True)
    if stage is None and not subject:
        stage, tight = _nearest([h for h in stages if h[0] < pos], pos), False
    soft = False
    if stage is None and not subject:
        stage = next((w for w in reversed(words(claim.heading)) if is_stage(w)), None)
        soft = stage is not None
    tiers = [{w for _, w in segment}, {w for _, w in window}, {w for _, w in in_clause}, {w for _, w in hits},
             set(words(claim.heading))]
    if paired and not is_stage(paired):
        tiers[0] = (tiers[0] - {w for _, w in ids}) | {paired}
    return {"metric": metric, "stage": stage, "tiers": tiers, "tight": tight, "soft": soft}


def _stage_after(claim: Claim, siblings: list[Claim], stages: list, end: int) -> str | None:
    """"38.8% after DPO iteration 1": a stage named right after the number, before any other number."""
    nxt = min((c.pos for c in siblings if c.pos > claim.pos), default=end)
    after = [(p, w) for p, w in stages if claim.pos < p < min(nxt, end)]
    if after and re.match(r"[%)\]]*\s*(?:points?\s+)?(?:after|for|at|in|with|of|on|by|from)\b",
                          claim.sentence[claim.pos + len(claim.text):after[0][0]].strip() + " x"):
        return after[0][1]
    return None


def _paired(claim: Claim, siblings: list[Claim], named: list[tuple[int, str]], sentence: str) -> str | None:
    """"from X to Y" / "X → Y": the k-th plain value of the sentence gets the k-th of two names (stages or
    identifiers); stages may also come from earlier in the paragraph, the earlier stage first."""
    values = [c for c in siblings if c.role == "value" and c.kind in ("number", "percent")]
    if len(values) != 2 or claim not in values or not re.search(r"\bfrom\b.*\bto\b|→|->|\\rightarrow", sentence):
        return None
    names = list(dict.fromkeys(w for _, w in named))
    if len(names) != 2 and named is not None and all(is_stage(w) for w in names):
        earlier = [w for w in words(claim.paragraph[: max(0, len(claim.paragraph) - len(sentence))]) if is_stage(w)]
        names = _stage_order(list(dict.fromkeys(names + earlier)))
        names = names[-2:] if len(names) >= 2 else names
    if len(names) != 2:
        return None
    if all(is_stage(w) for w in names):
        names = _stage_order(names)
    return names[values.index(claim)]


def _role_fits(entry: Entry, role: str) -> bool:
    leaf = entry.leaf
    if role == "ci_low":
        return leaf in ("ci95_low", "ci_low", "low", "lower", "lo")
    if role == "ci_high":
        return leaf in ("ci95_high", "ci_high", "high", "upper", "hi")
    if role == "pm":
        return leaf in ("std", "stdev", "sd", "stderr", "se")
    return leaf not in ("k", "n", "ci95_low", "ci95_high", "ci_low", "ci_high", "low", "high", "lower", "upper",
                        "std", "stdev", "sd", "stderr", "se", "lo", "hi")


KIND_RANK = {"eval": 0, "other": 1, "check": 2, "train": 3, "config": 4}


def candidates(claim: Claim, index: MetricsIndex, seen: dict) -> list[Entry]:
    """The entries a claim can mean, narrowed step by step; [] with claim.rule saying why."""
    metric, stage = seen["metric"], seen["stage"]
    if metric is None:
        claim.rule = "no metric named in its context"
        return []
    named = {metric} | ({"train", "test"} & seen["tiers"][0] if metric in COUNT_NOUNS else set())
    pool = [e for e in index.named(named) if _role_fits(e, claim.role)]
    if any(metric in e.key_names for e in pool):
        pool = [e for e in pool if named & e.key_names]
    if metric in CONFIG:
        pool = [e for e in pool if e.kind == "config" or metric in words(e.leaf)]
    elif metric in METRICS:
        pool = [e for e in pool if e.kind != "config"]
    if claim.extra.get("has_pm"):
        pool = [e for e in pool if e.leaf == "mean" or index.sibling(e, "std")] or pool
    if metric in CONFIG:
        seen = {**seen, "tiers": [seen["tiers"][0] | {stage or ""}, *seen["tiers"][1:]]}
    elif stage and not (seen.get("soft") and not any(stage in e.names for e in pool)):
        pool = [e for e in pool if stage in e.names]
    else:
        pool = [e for e in pool if not any(is_stage(w) for w in e.names)] or pool
    if not pool:
        claim.rule = f"no source for {stage or ''} {metric}".replace("  ", " ")
        return []
    for i, tier in enumerate(seen["tiers"]):
        group = {w for w in tier if w not in GENERIC and w != metric and w != stage}
        def score(e, first=i == 0):  # the nearest words name the key first, then its folders and file
            return (len(group & e.key_names), len(group & e.names)) if first else len(group & e.names)
        best = max(score(e) for e in pool)
        pool = [e for e in pool if score(e) == best]
        if i == 0:  # then the key that the nearest words explain best ("1,594 pairs": `pairs`, not `problems_with_pairs`)
            known = tier | STRUCTURE | GENERIC | {metric, stage}
            fewest = min(len(e.key_names - known) for e in pool)
            pool = [e for e in pool if len(e.key_names - known) == fewest]
    everything = set().union(*seen["tiers"])
    if "hops" not in everything:
        pool = [e for e in pool if "hops" not in e.names] or pool
    sample_words = {"samples", "sampled", "sampling", "check"} & everything
    rank = (lambda e: KIND_RANK["eval"] if e.kind == "check" else KIND_RANK[e.kind]) if sample_words else \
        (lambda e: KIND_RANK[e.kind])
    low = min(rank(e) for e in pool)
    pool = [e for e in pool if rank(e) == low]
    extra = min(len(e.names - STRUCTURE - everything) for e in pool)
    return [e for e in pool if len(e.names - STRUCTURE - everything) == extra]
