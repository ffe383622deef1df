"""One vocabulary for drafts and metrics files: `words(text)` turns a sentence, a table header, a folder, a file
name or a JSON key into canonical words, so "DPO iteration 3", "+ DPO iter3", "dpo_iter3" and "round 3" all
become `iter3`, "Step validity" and "step_validity" become `step_validity`, and "held-out" becomes `test`."""
from __future__ import annotations

import re
from functools import lru_cache

# multi-word names first (applied to lower-case text, in order); each becomes one word
ORDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "first": 1, "second": 2, "third": 3, "fourth": 4,
            "fifth": 5}
SETTINGS = {"learning rate": "learning_rate", "learning_rate": "learning_rate", "lr": "learning_rate", "β": "beta",
            "\\beta": "beta", "beta": "beta", "temperature": "temperature", "temp": "temperature"}


def _setting(m: re.Match) -> str:
    """"β = 0.1", "lr 5e-6", a folder's "beta0.1_lr5e-6": the setting's word and `name=value`, which names the runs
    made with that value."""
    name = SETTINGS[re.sub(r"[\s_-]+", " ", m.group(1))]
    return f" {name} {name}={float(m.group(2).replace(' ', '').replace('−', '-')):g} "


PHRASES = [
    (r"(?<![a-z])(learning[\s_-]*rate|lr|β|\\beta|beta|temperature|temp)\s*(?:[=:]|\s(?:of|is|set to)\s)?\s*\$?\s*"
     r"(\d+(?:\.\d+)?(?:\s*e\s*[-−]?\d+)?|\.\d+)(?![\d.]*\d)", _setting),
    (r"\bsft\s*\+\s*dpo\b", " dpo "),
    (r"\bsft\b|\bsupervised fine[\s-]*tun(?:ing|ed)\b", " sft "),
    # "three DPO iterations" spans SFT to iteration 3 (both named, in order); "the third iteration" is one stage
    (r"\b(?:after\s+)?(one|two|three|four|five)\s+(?:dpo\s+)?(?:iterations|rounds)(?:\s+of\s+dpo)?\b",
     lambda m: f" sft iter{ORDINALS[m.group(1)]} span "),  # `span`: two endpoints, not one stage (binding)
    # "the first round gave 552 pairs, the second 572": an ordinal after a comma or semicolon, where the sentence counts rounds
    # (also right after a number: "... to 702 in the third", "... 3.81 after the third")
    (r"(?:(?<=[,;])|(?<=\band)|(?<=[\d%] in)|(?<=[\d%] after))\s*the\s+(first|second|third|fourth|fifth)\b"
     r"(?!\s+(?:dpo\s+)?(?:iteration|round))",
     lambda m: f" iter{ORDINALS[m.group(1)]} " if re.search(r"\b(?:first|second|third|fourth|fifth)\s+(?:dpo\s+)?"
                                                           r"(?:iteration|round)", m.string) else m.group(0)),
    (r"\bone\s+(?:dpo\s+)?(?:iteration|round)(?:\s+of\s+dpo)?\b", " iter1 "),  # "after one round of DPO"
    (r"\b(\d+)[\s-]*hops?\b|\bhops?[\s._-]*(\d+)\b", lambda m: f" hops hops{m.group(1) or m.group(2)} "),  # "3-hop", `by_hops.3`
    (r"\bwell[\s-]*formed\b|\bformat[\s_-]*valid(?:ity)?\b", " format_validity "),
    (r"\b(?:traces|samples|generations)\s+(?:per|for\s+each(?:\s+of)?)\b(?:\s+(?:training\s+)?(?:problem|question)\b)?",
     " samples_per_problem "),
    (r"\b(first|second|third|fourth|fifth)\s+(?:dpo\s+)?(?:iteration|round)(?:\s+of\s+dpo)?\b",
     lambda m: f" iter{ORDINALS[m.group(1)]} "),
    (r"\bsupervised (?:model|baseline|stage|checkpoint)\b", " sft "),
    (r"\bseed[\s_-]*(\d+)\b", r" seed\1 "),
    (r"(?<=\d)\s*(?:s|sec|secs)\b", " wall_s "),
    (r"\b(\d+)\s*(?:dpo\s+)?(?:iters?\b\.?|iteration\b|round\b)", r" iter\1 "),  # a row "SFT + DPO (1 iter.)", "1 round"
    (r"(?:\bdpo[\s_+-]*)?\b(?:iter(?:ation)?s?|round|it)\.?[\s_#-]*(\d+)(?:\s+of\s+dpo)?\b", r" iter\1 "),
    (r"\bdpo[\s_-]*(\d+)\b", r" iter\1 "),
    # the share of steps (traces) that are not valid: the complement of the validity (verdicts compare 1 − it)
    (r"(?<!first )\b(?:(?:step[\s_-]*)?error[\s_-]*rate\s+of\s+(?:(?:individual|the|proof|all)\s+)?steps|"
     r"step[\s_-]*error[\s_-]*rate|invalid[\s_-]*steps?(?:\s+rate)?|steps?\s+(?:are|is|were|was)\s+invalid)\b",
     " step_validity complement "),
    (r"\b(?:invalid[\s_-]*traces?|traces?\s+(?:are|is|were|was)\s+invalid)\b", " trace_validity complement "),
    (r"\blocal[\s_-]*(?:step[\s_-]*)?valid(?:ity)?\b", " local_validity "),  # before step validity, which it contains
    (r"\bstep[\s_-]*val(?:id(?:ity)?)?\b\.?|\bvalid steps?\b", " step_validity "),
    (r"\btrace[\s_-]*val(?:id(?:ity)?)?\b\.?|\bvalid traces?\b", " trace_validity "),
    (r"\bacc(?:uracy)?\b|\banswers?\b[^.;]{0,30}\bcorrect(?:ly)?\b|\bcorrect(?:ly)?\b|\bsolv(?:es|ed|e)\b|"
     r"\banswer(?:s|ed)?(?=\s+[\d.]+\s*%)", " accuracy "),  # "answers 65.5% of the test problems" as "solves"
    (r"\bsteps?\s+(?:are|is|were|was)\s+valid\b", " step_validity "),
    (r"\btraces?\s+(?:are|is|were|was)\s+valid\b", " trace_validity "),
    (r"\bchain[\s-]*of[\s-]*thought\b", " cot "),
    (r"\bseconds\b", " wall_s "),
    (r"\bproblems?\s*(?:/|per)\s*(?:h|hr|hour)\b|\bproblems_per_hour\b", " problems_per_hour "),
    (r"\bproblems?\s*(?:/|per)\s*(?:s|sec|second)\b|\bproblems_per_s\b", " problems_per_s "),
    (r"\btokens?\s*(?:/|per)\s*(?:s|sec|second)\b|\btokens_per_s\b|\btok/s\b", " tokens_per_s "),
    (r"\b(?:samples?|traces?|completions?|generations?)\s*(?:(?:/|per|for\s+each)\s*problem\b|each\b)|\bsamples_per_problem\b"
     r"|\b(?:samples?|traces?|completions?|generations?)\s+for\s+each(?=\s+of\s+(?:the\s+)?[\d,{}$]+\s+problems\b)",
     " samples_per_problem "),  # "4 samples for each of 1,000 problems" leaves "1,000 problems" to the 1,000
    (r"\bpairs?\s*(?:/|per|for\s+each)\s*problem\b|\bpairs_per_problem\b", " pairs_per_problem "),
    # the solver's causes of an invalid step (sokrates/causes.py), as the diagnosis keys and as prose names them
    (r"\bfirst[\s_-]*(?:errors?|invalid[\s_-]*steps?|mistakes?)\b", " first_error "),
    (r"\bpremises?[\s_-]*(?:text[\s_-]*)?(?:(?:that|which)\s+)?(?:(?:was|were|is|are)\s+)?not[\s_-]*copied\b",
     " premise_not_copied "),
    (r"\b(?:uncopied|mis-?copied)[\s_-]*premises?\b|\bpremises?[\s_-]*(?:copying|copy)[\s_-]*(?:errors?|mistakes?|failures?)\b",
     " premise_not_copied "),
    (r"\bwrong[\s_-]*(?:premise[\s_-]*)?ind(?:ex|ices|exes)\b|\bwrong\s+premises?\b", " wrong_index "),
    (r"\bwrong[\s_-]*(?:inference[\s_-]*)?rules?\b", " wrong_rule "),
    (r"\bwrong[\s_-]*answers?(?:[\s_-]*signs?)?\b", " wrong_answer "),
    (r"\bclaims?[\s_-]*(?:that[\s_-]*)?(?:not[\s_-]*following|(?:does|do)[\s_-]*not[\s_-]*follow)\b", " claim_not_following "),
    (r"\bcites?[\s_-]*(?:an?[\s_-]*)?(?:unestablished|formulas?[\s_-]*not[\s_-]*yet[\s_-]*established)\b",
     " cites_unestablished "),
    (r"\blearning[\s_-]*rate\b|\blr\b", " learning_rate "),
    (r"\bbatch[\s_-]*size\b", " batch_size "),
    (r"\bweight[\s_-]*decay\b", " weight_decay "),
    (r"\bmax(?:imum)?[\s_-]*(?:new[\s_-]*)?tokens\b", " max_new_tokens "),
    (r"\bmax(?:imum)?[\s_-]*length\b", " max_length "),
    (r"\breward[\s_-]*accurac(?:y|ies)\b", " reward_accuracy "),
    (r"\b(?:final[\s_-]*)?(?:training[\s_-]*)?loss\b", " loss "),
    (r"\bheld[\s_-]*out\b|\btest(?:ing)?\b|\beval(?:uation)?\b(?=\s*(?:set|problems?|split))", " test "),
    (r"\btrain(?:ing)?\b(?=[\s_-]*(?:set|problems?|split|examples?))", " train "),
    (r"\bβ\b|\\beta\b|\bbeta\b", " beta "),
    (r"\btemp(?:erature)?\b|\btau\b|\bt(?=\s*=\s*\$?\s*(?:0?\.\d+|[12](?:\.\d+)?)\b)", " temperature "),  # "at T = 0.7", not "t = 500"
    (r"\bspeed[\s_-]*up\b", " speedup "),
    (r"\bwall[\s_-]*(?:clock|time|s)\b|\btime\s*\((?:s|sec|secs|seconds)\)|\btime\s+in\s+seconds\b", " wall_s "),
]
SYNONYMS = {"pair": "pairs", "problem": "problems", "sample": "samples", "epoch": "epochs", "step": "steps",
            "example": "examples", "seed": "seeds", "hop": "hops", "iteration": "iterations", "generations": "samples",
            "valid": "validity", "mean": "mean", "avg": "mean", "average": "mean", "averaged": "mean", "std": "std", "sd": "std",
            "stdev": "std", "n_problems": "problems", "n": "n"}
# words that say nothing about which number is meant
GENERIC = frozenset("""a an the of on in at to from for with and or by is are was were be been than that this these
those it its as we our us after before over under per vs versus value values summary json jsonl csv yaml yml runs run
results result metrics metric data file files eval evaluation table row col column stage stages model models score
scores rate rates total all each both only when while which who what reaches reached reach rises rise rose falls fell
gain gains improves improved improvement drop drops up down s x k m""".split())
CAUSES = frozenset("premise_not_copied wrong_index wrong_rule wrong_answer claim_not_following cites_unestablished "
                   "malformed".split())  # counts of invalid steps by cause
METRICS = frozenset("""accuracy step_validity trace_validity local_validity format_validity loss problems_per_hour problems_per_s
tokens_per_s mfu pairs reward_accuracy wall_s""".split()) | CAUSES
RATES = frozenset("accuracy step_validity trace_validity local_validity format_validity mfu reward_accuracy".split())  # what a % can be
CONFIG = frozenset("""learning_rate batch_size weight_decay temperature beta epochs samples_per_problem max_new_tokens
max_length top_p warmup_ratio iterations seeds pairs_per_problem""".split())
_WORD = re.compile(r"[a-z][a-z0-9_]*|\d+")


_COMPILED = None


@lru_cache(maxsize=100_000)
def positioned(text: str) -> tuple[tuple[int, str], ...]:
    """(offset, canonical word) for every word of a text, phrases ("step validity", "DPO iteration 3") placed at
    their first character, in order of offset: lower case, phrases joined, plurals and synonyms folded."""
    global _COMPILED
    _COMPILED = _COMPILED or [(re.compile(p), r) for p, r in PHRASES]
    low = str(text).lower().replace("\\_", "  ").replace("_", " ")
    found = []
    for pattern, repl in _COMPILED:
        def keep(m, repl=repl):
            out = m.expand(repl) if isinstance(repl, str) else repl(m)
            found.extend((m.start() + i, w) for i, w in enumerate(out.split()))
            return " " * (m.end() - m.start())
        low = pattern.sub(keep, low)
    for m in _WORD.finditer(low.replace("-", " ").replace("/", " ").replace(".", " ")):
        w = SYNONYMS.get(m.group(0), m.group(0))
        if len(w) > 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and w[:-1] in SYNONYMS:
            w = SYNONYMS[w[:-1]]
        found.append((m.start(), w))
    return tuple(sorted(found))


def words(text: str) -> list[str]:
    """The canonical words of a text, in order (see `positioned`)."""
    return [w for _, w in positioned(text)]


def is_stage(word: str) -> bool:
    """sft, iterK, or dpo (some DPO stage, as a table row "DPO" or "SFT+DPO" names it)."""
    return word in ("sft", "dpo") or bool(re.fullmatch(r"iter\d+", word))
