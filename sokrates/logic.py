"""First-order formulas of PrOntoQA-style problems, and their English surface form.

Formulas are small immutable trees. `parse_sentence` reads the English sentences the
problems use ("Every wumpus is a tumpus.", "Wumpuses are not dull.", "Sally is a wumpus and
a yumpus.") and `render` writes a formula back in one canonical phrasing, so a claim that a
model states in a Thought line can be compared with what a rule derives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

VAR = "x"


@dataclass(frozen=True, slots=True)
class Atom:
    """pred(arg): "Sally is a wumpus" or "Sally is dull". `noun` only affects wording."""
    pred: str
    arg: str
    noun: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    body: "Formula"


@dataclass(frozen=True, slots=True)
class And:
    left: "Formula"
    right: "Formula"


@dataclass(frozen=True, slots=True)
class Or:
    left: "Formula"
    right: "Formula"


@dataclass(frozen=True, slots=True)
class Implies:
    left: "Formula"
    right: "Formula"


@dataclass(frozen=True, slots=True)
class ForAll:
    var: str
    body: "Formula"


@dataclass(frozen=True, slots=True)
class Exists:
    var: str
    body: "Formula"


Formula = Atom | Not | And | Or | Implies | ForAll | Exists


def negate(f: Formula) -> Formula:
    """The negation of f, cancelling one outer negation (used for answer labels only)."""
    return f.body if isinstance(f, Not) else Not(f)


def substitute(f: Formula, old: str, new: str) -> Formula:
    """f with every free occurrence of the term `old` (a variable or an individual) replaced by `new`:
    instantiation (x -> Sally) and generalisation (Sally -> x) alike."""
    if isinstance(f, Atom):
        return Atom(f.pred, new, f.noun) if f.arg == old else f
    if isinstance(f, Not):
        return Not(substitute(f.body, old, new))
    if isinstance(f, (ForAll, Exists)):
        return f if f.var == old else type(f)(f.var, substitute(f.body, old, new))
    return type(f)(substitute(f.left, old, new), substitute(f.right, old, new))


def constants(f: Formula) -> set[str]:
    """Names of individuals (capitalised arguments) that occur in f."""
    if isinstance(f, Atom):
        return {f.arg} if f.arg[:1].isupper() else set()
    if isinstance(f, (Not, ForAll, Exists)):
        return constants(f.body)
    return constants(f.left) | constants(f.right)


def rule(antecedent: str, consequent: str, positive: bool = True, noun: bool = True,
         antecedent_noun: bool = True) -> ForAll:
    """∀x. antecedent(x) → (¬)consequent(x): "Every wumpus is (not) a tumpus"."""
    head: Formula = Atom(consequent, VAR, noun)
    return ForAll(VAR, Implies(Atom(antecedent, VAR, antecedent_noun), head if positive else Not(head)))


def literal(pred: str, arg: str, positive: bool = True, noun: bool = True) -> Formula:
    atom = Atom(pred, arg, noun)
    return atom if positive else Not(atom)


# ---------------------------------------------------------------- English rendering

def pluralize(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def singularize(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("uses", "xes", "ches", "shes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and not word.endswith("us"):
        return word[:-1]
    return word


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _predicate_phrase(f: Formula, plural: bool = False) -> str | None:
    """The part after "is"/"are" for a literal about one subject, e.g. "not a wumpus"."""
    negated = isinstance(f, Not)
    atom = f.body if negated else f
    if not isinstance(atom, Atom):
        return None
    if atom.noun:
        word = pluralize(atom.pred) if plural else f"{_article(atom.pred)} {atom.pred}"
    else:
        word = atom.pred
    return f"not {word}" if negated else word


def _subject(f: Formula) -> str | None:
    atom = f.body if isinstance(f, Not) else f
    return atom.arg if isinstance(atom, Atom) else None


def render(f: Formula, style: str = "every") -> str:
    """English sentence (no final period) for f. `style` picks the phrasing of universal rules:
    "every" (Every wumpus is a tumpus), "each" (Each wumpus is ...), "plural" (Wumpuses are ...)."""
    if isinstance(f, (Atom, Not)) and _predicate_phrase(f) is not None:
        return f"{_subject(f)} is {_predicate_phrase(f)}"
    if isinstance(f, ForAll) and isinstance(f.body, Implies) and isinstance(f.body.left, Atom) \
            and f.body.left.arg == f.var and _predicate_phrase(f.body.right) is not None:
        subject = f.body.left.pred
        if style == "plural":
            return f"{pluralize(subject).capitalize()} are {_predicate_phrase(f.body.right, plural=True)}"
        quantifier = "Each" if style == "each" else "Every"
        return f"{quantifier} {subject} is {_predicate_phrase(f.body.right)}"
    if isinstance(f, Exists) and _predicate_phrase(f.body) is not None and _subject(f.body) == f.var:
        return f"Something is {_predicate_phrase(f.body)}"
    if isinstance(f, (And, Or)):
        joiner = " and " if isinstance(f, And) else " or "
        subj_l, subj_r = _subject(f.left), _subject(f.right)
        if subj_l and subj_l == subj_r and subj_l[:1].isupper():
            return f"{subj_l} is {_predicate_phrase(f.left)}{joiner}{_predicate_phrase(f.right)}"
        return f"{render(f.left)}{joiner}{render(f.right)}"
    if isinstance(f, Not):
        return f"It is not the case that {render(f.body)}"
    if isinstance(f, Implies):
        return f"If {render(f.left)} then {render(f.right)}"
    return repr(f)


# ---------------------------------------------------------------- English parsing

_LITERAL = re.compile(r"^(not )?(?:(a|an) )?([a-z][a-z-]*)$")
_UNIVERSAL = re.compile(r"^(?:every|each|all) ([a-z][a-z-]*) (?:is|are) (.+)$", re.I)
_PLURAL = re.compile(r"^([a-z][a-z-]*) are (.+)$", re.I)
_GROUND = re.compile(r"^([A-Z][a-zA-Z-]*) is (.+)$")
_SOMETHING = re.compile(r"^something is (.+)$", re.I)
_NOT_CASE = re.compile(r"^it is not the case that (.+)$", re.I)
_IF_THEN = re.compile(r"^if (.+?),? then (.+)$", re.I)


def _parse_literal(phrase: str, arg: str, plural: bool = False) -> Formula | None:
    m = _LITERAL.match(phrase.strip())
    if not m:
        return None
    negated, article, word = m.groups()
    noun = article is not None
    if plural and article is None and singularize(word) != word:  # "numpuses" is a noun, "dull" is not
        word, noun = singularize(word), True
    atom = Atom(word, arg, noun)
    return Not(atom) if negated else atom


def _parse_phrase(phrase: str, arg: str, plural: bool = False) -> Formula | None:
    """A predicate phrase, possibly a conjunction or disjunction of literals."""
    for joiner, kind in ((" and ", And), (" or ", Or)):
        if joiner in phrase:
            left, right = phrase.split(joiner, 1)
            left_f = _parse_literal(left, arg, plural)
            right_f = _parse_phrase(right, arg, plural)
            if left_f is None or right_f is None:
                return None
            return kind(left_f, right_f)
    return _parse_literal(phrase, arg, plural)


def parse_sentence(text: str) -> Formula | None:
    """The formula an English sentence states, or None when it is not in the known grammar."""
    s = " ".join(text.strip().rstrip(".").split())
    if not s:
        return None
    if m := _NOT_CASE.match(s):
        inner = parse_sentence(m.group(1))
        return Not(inner) if inner is not None else None
    if m := _IF_THEN.match(s):
        left, right = parse_sentence(m.group(1)), parse_sentence(m.group(2))
        return Implies(left, right) if left is not None and right is not None else None
    if m := _SOMETHING.match(s):
        body = _parse_phrase(m.group(1), VAR)
        return Exists(VAR, body) if body is not None else None
    if m := _UNIVERSAL.match(s):
        head = _parse_phrase(m.group(2), VAR)
        return ForAll(VAR, Implies(Atom(m.group(1).lower(), VAR, True), head)) if head is not None else None
    if (m := _GROUND.match(s)) and (f := _parse_phrase(m.group(2), m.group(1))) is not None:
        return f
    if m := _PLURAL.match(s):
        head = _parse_phrase(m.group(2), VAR, plural=True)
        subject = singularize(m.group(1).lower())
        if head is not None:
            return ForAll(VAR, Implies(Atom(subject, VAR, True), head))
    for joiner, kind in ((" and ", And), (" or ", Or)):  # two whole sentences joined
        left, _, right = s.partition(joiner)
        if right:
            left_f, right_f = parse_sentence(left), parse_sentence(right)
            if left_f is not None and right_f is not None:
                return kind(left_f, right_f)
    return None
