"""Optionized traces: the option vocabulary, rendering a proof as Thought/Action text, and a
parser that turns model output back into steps with a precise verdict each (it never raises).

A trace looks like:

    Thought: Sally is a wumpus. Every wumpus is a tumpus. So Sally is a tumpus.
    Action: <Option type="MODUS_PONENS" args="[4, 0]" />
    Thought: So the answer is True.
    Action: <Option type="CONCLUDE" args="[0]" />

Formulas are numbered: premises 0..n-1, then each non-terminal step's claim n, n+1, ...
The claim of a step is the sentence after the last "So" of its Thought.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"

# Option name -> kinds of its arguments: "idx" a formula number, "const" an individual's name,
# "var" a variable name, "side" 0/1, "label" 0 True / 1 False / 2 Unknown.
OPTIONS: dict[str, tuple[str, ...]] = {
    "MODUS_PONENS": ("idx", "idx"),
    "MODUS_TOLLENS": ("idx", "idx"),
    "UNIV_INSTANTIATION": ("idx", "const"),
    "EXIST_GENERALIZATION": ("idx", "var"),
    "AND_INTRO": ("idx", "idx"),
    "AND_ELIM": ("idx", "side"),
    "OR_INTRO": ("idx", "idx"),
    "DISJUNCTIVE_SYLLOGISM": ("idx", "idx"),
    "HYPOTHETICAL_SYLLOGISM": ("idx", "idx"),
    "DOUBLE_NEGATION": ("idx",),
    "CONCLUDE": ("label",),
}
LABELS = ("True", "False", "Unknown")  # CONCLUDE args [0], [1], [2]



def action_text(option: str, args: list) -> str:
    rendered = ", ".join(str(a) for a in args)
    return f'Action: <Option type="{option}" args="[{rendered}]" />'


# Generation stops at the first of these (one per label): a stop sequence, not a token budget.
STOP_STRINGS = [action_text("CONCLUDE", [i])[len("Action: "):] for i in range(len(LABELS))]


# ---------------------------------------------------------------- prompts

def load_template(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.is_file():
        known = sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))
        raise FileNotFoundError(f"{path}: no prompt template '{name}'. Fix: use one of {known}.")
    return path.read_text(encoding="utf-8")


def render_prompt(premises: list[str], query: str, template: str = "solve_compact") -> str:
    """A template's {premises} are numbered before each sentence ("3. Each kurpus is a dumpus."); its
    {premises_tagged} after it ("Each kurpus is a dumpus (3).")."""
    numbered = "\n".join(f"{i}. {p.rstrip('.')}." for i, p in enumerate(premises))
    tagged = "\n".join(f"{p.rstrip('.')} ({i})." for i, p in enumerate(premises))
    return load_template(template).format(premises=numbered, premises_tagged=tagged, query=query.rstrip(".") + ".")


TRACE_STYLES = ("plain", "numbered", "tagged", "tagged_verbatim", "prose", "numbered_prose")
PROSE = {"prose": "plain", "numbered_prose": "numbered"}  # proof in words: a style's Thought lines, no Actions
_TAG = re.compile(r"\s*\(\d+\)\s*$")


def strip_tag(sentence: str) -> str:
    """A formula sentence without the "(N)" number tag of the tagged style."""
    return _TAG.sub("", sentence)


def _canonical(text: str) -> str:
    """One fixed wording of a sentence the grammar reads ("Kurpuses are dumpuses" -> "Every kurpus is a dumpus")."""
    from .logic import parse_sentence, render
    f = parse_sentence(text)
    return render(f, "every") if f is not None else text


def render_trace(premises: list[str], proof: list[dict], style: str = "plain") -> str:
    """The Thought/Action text of a proof ([{"option", "args", "formula"}], ending in CONCLUDE).

    `plain` restates each cited formula as written ("Fae is a kurpus. Kurpuses are dumpuses. So Fae is a
    dumpus."); `numbered` writes each cited formula's number before it ("5. Fae is a kurpus. 3. Kurpuses are
    dumpuses. So ..."); `tagged` restates every formula in one fixed wording with its number after it, the
    claim included ("Fae is a kurpus (5). Every kurpus is a dumpus (3). So Fae is a dumpus (8)."), so each
    choice is a lookup by content and the Action's arguments copy numbers written in the Thought; `tagged_verbatim`
    the same with each formula as written (with the `solve_tagged` prompt, whose premises carry their numbers after
    them, a cited number is then the token that follows the copied sentence in the prompt). `prose` is the
    plain Thought lines without their Actions (`numbered_prose` the numbered ones): the proof in words, for a
    pretraining stage that teaches reading and chaining premises before SFT teaches the option format (the solver
    cannot check it)."""
    if style not in TRACE_STYLES:
        raise ValueError(f"unknown trace style {style!r}: use one of {TRACE_STYLES}")
    actions, style = style not in PROSE, PROSE.get(style, style)
    texts = [p.rstrip(".") for p in premises]

    def cite(i) -> str:
        text = texts[i] if isinstance(i, int) and 0 <= i < len(texts) else f"Formula {i}"
        return {"plain": f"{text}. ", "numbered": f"{i}. {text}. ", "tagged": f"{_canonical(text)} ({i}). ",
                "tagged_verbatim": f"{text} ({i}). "}[style]
    lines = []
    for step in proof:
        option, args = step["option"], step["args"]
        if option == "CONCLUDE":
            last = cite(len(texts) - 1) if len(texts) > len(premises) else ""
            lines.append(f"Thought: {last}So the answer is {LABELS[args[0]]}.")
        else:
            cited = [a for a, kind in zip(args, OPTIONS.get(option, ())) if kind == "idx"]
            claim = f"{step['formula']} ({len(texts)})" if style.startswith("tagged") else step["formula"]
            lines.append("Thought: " + "".join(cite(a) for a in cited) + f"So {claim}.")
            texts.append(step["formula"])
        if actions:
            lines.append(action_text(option, args))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- parsing

@dataclass
class Step:
    """One Thought/Action pair as the model wrote it, with the parser's verdict."""
    thought: str | None
    option: str | None
    args: list = field(default_factory=list)
    claim: str | None = None
    verdict: str = "ok"
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ParsedTrace:
    steps: list[Step]
    verdict: str = "ok"
    label: str | None = None  # the CONCLUDE answer, when there is one
    detail: str = ""

    @property
    def well_formed(self) -> bool:
        return self.verdict == "ok" and all(s.verdict == "ok" for s in self.steps)


_ACTION = re.compile(r'^<Option type="([^"]*)" args="([^"]*)"\s*/>$')
_CLAIM = re.compile(r"(?:^|[.,;:]\s*)so,?\s+(.+?)\.?\s*$", re.I)


def split_thought(thought: str | None) -> tuple[str, str | None]:
    """(what a Thought restates before its "So", the claim after it, number tag removed; None without a "So")."""
    text = thought or ""
    m = _CLAIM.search(text)
    return (text[:m.start()], strip_tag(m.group(1).strip())) if m else (text, None)


def _parse_args(text: str) -> list | None:
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    body = text[1:-1].strip()
    if not body:
        return []
    args: list = []
    for item in body.split(","):
        item = item.strip().strip("'\"")
        if re.fullmatch(r"-?\d+", item):
            args.append(int(item))
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", item):
            args.append(item)
        else:
            return None
    return args


def _check_args(option: str, args: list, available: int) -> tuple[str, str]:
    kinds = OPTIONS[option]
    if len(args) != len(kinds):
        return "malformed_args", f"{option} takes {len(kinds)} argument(s), got {len(args)}"
    for arg, kind in zip(args, kinds):
        if kind == "idx":
            if not isinstance(arg, int):
                return "malformed_args", f"formula number expected, got {arg!r}"
            if not 0 <= arg < available:
                return "index_out_of_range", f"formula {arg} does not exist yet (0..{available - 1})"
        elif kind == "const" and not (isinstance(arg, str) and arg[:1].isupper()):
            return "malformed_args", f"an individual's name expected, got {arg!r}"
        elif kind == "var" and not isinstance(arg, str):
            return "malformed_args", f"a variable name expected, got {arg!r}"
        elif kind == "side" and arg not in (0, 1):
            return "malformed_args", f"side must be 0 or 1, got {arg!r}"
        elif kind == "label" and arg not in (0, 1, 2):
            return "malformed_args", f"label must be 0 (True), 1 (False) or 2 (Unknown), got {arg!r}"
    return "ok", ""


def _parse_action(text: str, available: int) -> tuple[str | None, list, str, str]:
    m = _ACTION.match(text.strip())
    if not m:
        return None, [], "malformed_action", f"not an <Option type=\"...\" args=\"[...]\" /> tag: {text[:60]!r}"
    option, raw_args = m.groups()
    if option not in OPTIONS:
        return option, [], "unknown_option", f"unknown option {option!r}"
    args = _parse_args(raw_args)
    if args is None:
        return option, [], "malformed_args", f"args are not a list of numbers/names: {raw_args!r}"
    verdict, detail = _check_args(option, args, available)
    return option, args, verdict, detail


def parse_trace(text: str, n_premises: int) -> ParsedTrace:
    """Split model output into steps. Never raises: problems become verdicts."""
    steps: list[Step] = []
    stray: list[str] = []
    pending_thought: str | None = None
    conclude_at: int | None = None
    lines = [ln.strip() for ln in (text or "").splitlines()]
    for lineno, line in enumerate(lines):
        if not line:
            continue
        if conclude_at is not None:
            return _finish(steps, stray, text_after=" ".join(lines[lineno:])[:80])
        if line.startswith("Thought:"):
            if pending_thought is not None:  # a Thought with no Action before the next Thought
                steps.append(Step(pending_thought, None, verdict="missing_action", detail="Thought without Action"))
            pending_thought = line[len("Thought:"):].strip()
        elif line.startswith("Action:"):
            available = n_premises + sum(1 for s in steps if s.option != "CONCLUDE")
            option, args, verdict, detail = _parse_action(line[len("Action:"):], available)
            step = Step(pending_thought, option, args, verdict=verdict, detail=detail)
            if pending_thought is None and verdict == "ok":
                step.verdict, step.detail = "missing_thought", "Action without a Thought before it"
            if option != "CONCLUDE" and pending_thought is not None:
                step.claim = split_thought(pending_thought)[1]
                if step.claim is None and step.verdict == "ok":
                    step.verdict, step.detail = "missing_claim", 'the Thought states no "So <claim>."'
            if option == "CONCLUDE" and verdict == "ok":
                conclude_at = len(steps)
            steps.append(step)
            pending_thought = None
        else:
            stray.append(line)
    if pending_thought is not None:
        steps.append(Step(pending_thought, None, verdict="missing_action", detail="Thought without Action"))
    return _finish(steps, stray)


def _finish(steps: list[Step], stray: list[str], text_after: str = "") -> ParsedTrace:
    conclude = next((s for s in steps if s.option == "CONCLUDE" and s.verdict == "ok"), None)
    label = LABELS[conclude.args[0]] if conclude else None
    if not steps:
        return ParsedTrace(steps, "empty", None, "no Thought/Action steps")
    if text_after:
        return ParsedTrace(steps, "text_after_conclude", label, f"text after CONCLUDE: {text_after!r}")
    if conclude is None:
        return ParsedTrace(steps, "missing_conclude", None, "the trace never CONCLUDEs")
    if stray:
        return ParsedTrace(steps, "stray_text", label, f"{len(stray)} line(s) outside Thought/Action: {stray[0][:60]!r}")
    return ParsedTrace(steps, "ok", label)


def truncate_at_conclude(text: str) -> str:
    """Model output cut after its first CONCLUDE action (what sampling keeps)."""
    cut = min((i + len(s) for s in STOP_STRINGS if (i := text.find(s)) >= 0), default=None)
    return text if cut is None else text[:cut]
