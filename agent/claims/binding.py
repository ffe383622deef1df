"""Binding: which metrics entries a claim can mean, from what it names (context.concepts): entries of its metric,
narrowed by its stage, then by its qualifier words tier by tier, then by the kind of file. A claim that names no
metric binds to nothing."""
from __future__ import annotations

import re

from .context import COUNT_NOUNS, COUNTS, STRUCTURE, stage_rank
from .extraction import Claim
from .index import SEED, Entry, MetricsIndex
from .names import CONFIG, GENERIC, METRICS, is_stage, words


def _of_stage(pool: list[Entry], stage: str) -> list[Entry]:
    """The entries of a stage; "dpo" names every DPO iteration's."""
    return [e for e in pool if stage in e.names or stage == "dpo" and any(re.fullmatch(r"iter\d+", w) for w in e.names)]


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


def stages_of(entry: Entry) -> list[int]:
    """The ranks of the stages an entry's names hold (none for an unstaged entry, such as an ablation's row)."""
    return [stage_rank(w) for w in entry.names if is_stage(w)]


def _unexplained(names: set, known: set) -> set:
    """Key words the draft's words do not explain; list positions ("[0].pairs") are not words of a name."""
    return {w for w in names - known if not w.isdigit()}


def _names_staged(pool: list[Entry], said: set) -> bool:
    """Whether the sentence's words fit staged entries at least as well as unstaged ones ("On FOLIO ... from X to Y"
    against "Removing distractors ... (X → Y)", where an ablation's rows are meant)."""
    fit = lambda group: max((len(said & e.names) for e in group), default=-1)  # noqa: E731
    return any(stages_of(e) for e in pool) and fit([e for e in pool if stages_of(e)]) >= \
        fit([e for e in pool if not stages_of(e)])


def _span_end(pool: list[Entry], end: int, said: set) -> list[Entry]:
    """"On FOLIO, step validity goes from 20.1% to 70.2%": of the staged entries that share the most of the sentence's
    words (FOLIO's rows), the first stage's (end 0) or the last one's (end 1)."""
    staged = [e for e in pool if stages_of(e)]
    best = max(len(said & e.names) for e in staged)
    staged = [e for e in staged if len(said & e.names) == best]
    first = min if end == 0 else max
    target = first(first(stages_of(e)) for e in staged)
    return [e for e in staged if first(stages_of(e)) == target]


def _describes_table(claim: Claim, tier: int, word: str) -> bool:
    """A caption's "on 300 test problems" says what the whole table was measured on, not which key a cell is."""
    return bool(claim.table) and tier == 1 and word in METRICS | COUNT_NOUNS


KIND_RANK = {"eval": 0, "other": 1, "check": 2, "train": 3, "config": 4}


def candidates(claim: Claim, index: MetricsIndex, seen: dict) -> list[Entry]:
    """The entries a claim can mean, narrowed step by step; [] with claim.rule saying why."""
    metric, stage = seen["metric"], seen["stage"]
    if metric is None:
        claim.rule = "no metric named in its context"
        return []
    split = {"train", "test"} & seen["tiers"][1] if metric in COUNT_NOUNS else set()
    named = {metric} | split  # "1,000 training problems": a count of the split (n_train), not every `train_*` figure
    pool = [e for e in index.named(named) if _role_fits(e, claim.role) and (metric in e.names or set(words(e.leaf)) <= COUNTS | split)]
    if any(metric in e.key_names for e in pool):
        pool = [e for e in pool if named & e.key_names]
    if metric in CONFIG:
        pool = [e for e in pool if e.kind == "config" or metric in words(e.leaf)]
    else:  # a result never binds to a setting ("20 optimizer steps" is not logging_steps)
        pool = [e for e in pool if e.kind != "config"]
    said = {w for i, tier in enumerate(seen["tiers"][:2]) for w in tier
            if w not in GENERIC and w != metric and not is_stage(w) and not _describes_table(claim, i, w)}
    claim.extra["said"] = said & set().union(set(), *(e.names for e in pool))  # words that tell entries apart
    if claim.extra.get("has_pm"):
        pool = [e for e in pool if e.leaf == "mean" or index.sibling(e, "std")] or pool
    if metric in CONFIG:
        seen = {**seen, "tiers": [seen["tiers"][0] | {stage or ""}, *seen["tiers"][1:]]}
    elif stage and not (seen.get("soft") and not any(stage in e.names for e in pool)):
        # "DPO" names some DPO stage: every iteration's entry may be meant (one value across them verifies)
        staged = _of_stage(pool, stage)
        if staged or any(stages_of(e) for e in pool):
            pool = staged
        else:  # "on 1,000 test problems ... over SFT": no file gives this quantity per stage, so the stage cannot choose
            claim.extra["stage_guess"] = True
    elif "span_end" in claim.extra and _names_staged(pool, sentence_words := seen["tiers"][3] - GENERIC - {metric}):
        pool = _span_end(pool, claim.extra["span_end"], sentence_words)
        claim.extra["stage_guess"] = True  # a reading of "from X to Y", not a stage it names: never a mismatch
    else:
        unstaged = [e for e in pool if not stages_of(e)]
        claim.extra["stage_guess"] = bool(unstaged) and len(unstaged) < len(pool)  # staged entries set aside
        carried = seen.get("carried")
        staged = [] if unstaged or not carried else _of_stage(pool, carried)
        if staged:
            claim.extra["stage_guess"] = True  # the paragraph's stage: never a mismatch
        pool = staged or unstaged or pool
    if not pool:
        claim.rule = f"no source for {stage or ''} {metric}".replace("  ", " ")
        return []
    everything = set().union(*seen["tiers"])
    runs = [e for e in pool if SEED.search(e.where)]
    if any("seed*" in e.where for e in pool) and not any(re.fullmatch(r"seed\d+", w) for w in everything):
        claim.extra["seed_runs"] = runs  # no seed named: the seeds' mean and std are meant, not one seed's run
        pool = [e for e in pool if e not in runs]
    if "hops" not in everything:  # per-hop breakdowns only when the claim speaks of hops
        pool = [e for e in pool if "hops" not in e.names] or pool
    chain = claim.extra.get("chain")  # a chain is read by its order over every stage's entry (verdicts), not its words
    settled = False
    for i, tier in enumerate(seen["tiers"]):
        group = {w for w in tier if w not in GENERIC and w != metric and w != stage and not (chain and is_stage(w))
                 and not _describes_table(claim, i, w)}
        def score(e, near=i < 2):  # the nearest words name the key first, then its folders and file
            return (len(group & e.key_names), len(group & e.names)) if near else len(group & e.names)
        best = max(score(e) for e in pool)
        pool = [e for e in pool if score(e) == best]
        if i == 0:
            claim.extra["named_key"] = bool(best[0])  # the nearest words name the entry's own key or record
        if i == 1:  # then the key that the nearest words explain best ("1,594 pairs": `pairs`, not `problems_with_pairs`)
            known = tier | seen["tiers"][0] | STRUCTURE | GENERIC | {metric, stage}
        if i == 1 and min(len(_unexplained(e.key_names, known)) for e in pool) == 0 or i == 2 and best or \
                i == 3 and not settled:
            # a key the nearest words explain whole (list positions aside) wins at once; else the key path they
            # explain best, once the clause's words had their say (the sentence's, where the clause names none of
            # the entries: "X reaches ... but only 41.1% step validity"); a log's row ("[3].learning_rate") counts
            # its position
            unexplained = lambda e: len((e.key_names if i == 1 else set(words(e.key))) - known)  # noqa: E731
            fewest = min(map(unexplained, pool))
            pool = [e for e in pool if unexplained(e) == fewest]
            settled = i >= 2
    sample_words = {"samples", "sampled", "sampling", "check"} & everything
    rank = (lambda e: -1 if e.kind == "check" else KIND_RANK[e.kind]) if sample_words else \
        (lambda e: KIND_RANK[e.kind])  # "sampled": the sample check's figures before the greedy evaluation's
    low = min(rank(e) for e in pool)
    pool = [e for e in pool if rank(e) == low]
    # names the draft does not say; a run's settings (`beta=0.1`) count only where the draft names them
    unsaid = lambda e: {w for w in e.names - STRUCTURE - everything if "=" not in w}  # noqa: E731
    extra = min(len(unsaid(e)) for e in pool)
    if not chain:
        pool = [e for e in pool if len(unsaid(e)) == extra]
    near = seen["tiers"][1] - GENERIC - {metric} if len(seen["tiers"]) > 2 else set()
    if claim.extra.get("stage_guess") and "span_end" not in claim.extra and all(
            not stages_of(e) and near & e.key_names for e in pool):
        claim.extra["stage_guess"] = False  # "Dropping the verifier hurts: ... 47.5%": the words before it name the entry
    valued = {w for tier in seen["tiers"][:3] for w in tier if "=" in w}
    if valued and all(valued <= e.names for e in pool):
        claim.extra["stage_guess"] = False  # the run its settings name ("β = 0.1, lr = 5e-6", a sweep grid's cell)
    return pool
