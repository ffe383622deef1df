"""The symbolic solver: checks every step of an optionized trace, and finds shortest proofs.

Strict by design: a step is valid only when the formulas it cites exist and are established
(premises or validly derived), and the option applied to exactly those formulas yields exactly
the formula the step claims. Citing "Sally is a wumpus" with "Numpuses are not transparent" to
claim "Sally is not transparent" is invalid: the cited fact is not about the rule's antecedent.
All state is per problem; nothing is kept between calls.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .logic import And, Exists, ForAll, Formula, Implies, Not, Or, constants, negate, parse_sentence, render, substitute
from .traces import LABELS, OPTIONS, ParsedTrace, Step, parse_trace

parse_claim = lru_cache(maxsize=65536)(parse_sentence)


@dataclass
class StepResult:
    valid: bool
    reason: str = ""


@dataclass
class TraceResult:
    steps: list[StepResult]
    label: str | None           # the answer the trace concludes, if any
    answer_correct: bool
    valid: bool                 # well-formed, every step valid, and the answer correct
    trace_verdict: str = "ok"   # the parser's trace-level verdict

    @property
    def n_valid_steps(self) -> int:
        return sum(s.valid for s in self.steps)

    def to_dict(self) -> dict:
        return {"label": self.label, "answer_correct": self.answer_correct, "valid": self.valid,
                "trace_verdict": self.trace_verdict,
                "steps": [{"valid": s.valid, "reason": s.reason} for s in self.steps]}


# ---------------------------------------------------------------- one rule application

def _split_rule(f: Formula) -> tuple[str | None, Formula, Formula] | None:
    """(variable or None, antecedent, consequent) of a universal or ground implication."""
    if isinstance(f, ForAll) and isinstance(f.body, Implies):
        return f.var, f.body.left, f.body.right
    if isinstance(f, Implies):
        return None, f.left, f.right
    return None


def _instances(var: str | None, pattern: Formula, fact: Formula) -> list[str | None]:
    """Constants c with pattern[var:=c] == fact ([None] for a ground pattern equal to fact)."""
    if var is None:
        return [None] if pattern == fact else []
    return [c for c in constants(fact) if substitute(pattern, var, c) == fact]


def apply_option(option: str, args: list, cited: list[Formula]) -> list[Formula] | str:
    """The formulas `option` derives from the cited formulas (in argument order), or why it does not apply."""
    f = cited[0]
    g = cited[1] if len(cited) > 1 else None
    if option in ("MODUS_PONENS", "MODUS_TOLLENS"):
        parts = _split_rule(g)
        if parts is None:
            return f"{option} needs a rule (if/every ...) as its second formula, got: {render(g)}"
        var, ante, cons = parts
        if option == "MODUS_PONENS":
            cs = _instances(var, ante, f)
            if not cs:
                return f"the cited fact '{render(f)}' does not match the rule's antecedent in '{render(g)}'"
            return [cons if c is None else substitute(cons, var, c) for c in cs]
        if not isinstance(f, Not):
            return f"MODUS_TOLLENS needs a negated fact as its first formula, got: {render(f)}"
        cs = _instances(var, cons, f.body)
        if not cs:
            return f"the cited fact '{render(f)}' does not deny the rule's consequent in '{render(g)}'"
        return [Not(ante if c is None else substitute(ante, var, c)) for c in cs]
    if option == "UNIV_INSTANTIATION":
        if not isinstance(f, ForAll):
            return f"UNIV_INSTANTIATION needs a universal formula, got: {render(f)}"
        return [substitute(f.body, f.var, args[1])]
    if option == "EXIST_GENERALIZATION":
        return [Exists(args[1], substitute(f, c, args[1])) for c in sorted(constants(f))] or \
            f"nothing to generalise in: {render(f)}"
    if option == "AND_INTRO":
        return [And(f, g)]
    if option == "AND_ELIM":
        if not isinstance(f, And):
            return f"AND_ELIM needs a conjunction, got: {render(f)}"
        return [f.right if args[1] else f.left]
    if option == "OR_INTRO":
        return [Or(f, g)]
    if option == "DISJUNCTIVE_SYLLOGISM":
        if not isinstance(f, Or):
            return f"DISJUNCTIVE_SYLLOGISM needs a disjunction first, got: {render(f)}"
        out = ([f.right] if g == Not(f.left) else []) + ([f.left] if g == Not(f.right) else [])
        return out or f"'{render(g)}' denies neither side of '{render(f)}'"
    if option == "HYPOTHETICAL_SYLLOGISM":
        p, q = _split_rule(f), _split_rule(g)
        if p is None or q is None:
            return "HYPOTHETICAL_SYLLOGISM needs two rules"
        if p[0] != q[0] or p[2] != q[1]:
            return f"the consequent of '{render(f)}' is not the antecedent of '{render(g)}'"
        chained = Implies(p[1], q[2])
        return [chained if p[0] is None else ForAll(p[0], chained)]
    if option == "DOUBLE_NEGATION":
        out = [Not(Not(f))]
        if isinstance(f, Not) and isinstance(f.body, Not):
            out.append(f.body.body)
        return out
    return f"{option} derives no formula"


# ---------------------------------------------------------------- whole traces

def check_step(step: Step, known: list[Formula | None], established: list[bool],
                query: Formula, premises: list[Formula | None]) -> tuple[StepResult, Formula | None]:
    if step.verdict != "ok":
        return StepResult(False, f"{step.verdict}: {step.detail}"), None
    if step.option == "CONCLUDE":
        label = LABELS[step.args[0]]
        if label == "True":
            ok = any(e and f == query for f, e in zip(known, established))
        elif label == "False":
            ok = any(e and f == negate(query) for f, e in zip(known, established))
        else:
            closure = saturate(premises)
            ok = query not in closure and negate(query) not in closure
        why = "" if ok else (f"concludes {label} but the trace has not established "
                             f"{'the statement' if label == 'True' else 'its negation' if label == 'False' else 'that neither is derivable'}")
        return StepResult(ok, why), None
    claim = parse_claim(step.claim)
    if claim is None:
        return StepResult(False, f"the claim '{step.claim}' is not a sentence the solver can read"), None
    idx_kinds = [i for i, kind in enumerate(OPTIONS[step.option]) if kind == "idx"]
    for k in idx_kinds:
        i = step.args[k]
        if known[i] is None or not established[i]:
            return StepResult(False, f"cites formula {i}, which is not established"), claim
    result = apply_option(step.option, step.args, [known[step.args[k]] for k in idx_kinds])
    if isinstance(result, str):
        return StepResult(False, result), claim
    if claim not in result:
        return StepResult(False, f"{step.option} gives '{render(result[0])}', the step claims '{render(claim)}'"), claim
    return StepResult(True), claim


def verify_trace(parsed: ParsedTrace, premises: list[Formula | None], query: Formula, gold: str) -> TraceResult:
    """Check every step of a parsed trace against a problem (its parsed premises, query and gold label)."""
    known: list[Formula | None] = list(premises)
    established = [f is not None for f in premises]
    results: list[StepResult] = []
    for step in parsed.steps:
        result, claim = check_step(step, known, established, query, premises)
        results.append(result)
        if step.option != "CONCLUDE":  # every non-terminal step takes the next number, valid or not
            known.append(claim)
            established.append(result.valid)
        if step.option == "CONCLUDE" and step.verdict == "ok":
            break
    correct = parsed.label == gold
    valid = parsed.well_formed and correct and bool(results) and all(r.valid for r in results)
    return TraceResult(results, parsed.label, correct, valid, parsed.verdict)


# ---------------------------------------------------------------- proof search

@dataclass
class Derivation:
    option: str
    parents: tuple[Formula, ...]
    extra: tuple = ()  # non-formula arguments (AND_ELIM side)


def saturate(premises: list[Formula | None]) -> dict[Formula, Derivation | None]:
    """Every ground fact derivable from the premises by MP, MT and AND_ELIM, breadth first.
    Maps each formula to its first (shallowest) derivation; premises map to None."""
    known: dict[Formula, Derivation | None] = {f: None for f in premises if f is not None}
    rules = [(f, parts) for f in known if (parts := _split_rule(f)) is not None]
    queue = [f for f in known if _split_rule(f) is None and not isinstance(f, ForAll)]
    for fact in queue:  # the queue grows while we walk it
        new: list[tuple[Formula, Derivation]] = []
        for rule_f, (var, ante, cons) in rules:
            for c in _instances(var, ante, fact):
                new.append((cons if c is None else substitute(cons, var, c), Derivation("MODUS_PONENS", (fact, rule_f))))
            if isinstance(fact, Not):
                for c in _instances(var, cons, fact.body):
                    new.append((Not(ante if c is None else substitute(ante, var, c)),
                                Derivation("MODUS_TOLLENS", (fact, rule_f))))
        if isinstance(fact, And):
            new += [(fact.left, Derivation("AND_ELIM", (fact,), (0,))), (fact.right, Derivation("AND_ELIM", (fact,), (1,)))]
        for f, how in new:
            if f not in known:
                known[f] = how
                queue.append(f)
    return known


@dataclass
class ProofStep:
    option: str
    args: list
    formula: str | None = None  # English claim; None for CONCLUDE

    def to_dict(self) -> dict:
        return {"option": self.option, "args": self.args, "formula": self.formula}


@dataclass
class Proof:
    label: str
    steps: list[ProofStep] = field(default_factory=list)


def prove(premises: list[Formula | None], query: Formula) -> Proof:
    """A shortest goal-directed proof of the query or its negation (only the facts the goal
    needs, each step citing exactly what it uses). When neither is derivable the label is
    Unknown and the proof lists every derivable fact, which is what shows that."""
    known = saturate(premises)
    goal, label = (query, "True") if query in known else (negate(query), "False") if negate(query) in known else (None, "Unknown")
    if goal is not None:
        order: list[Formula] = []
        _ancestors(goal, known, order)
    else:
        about = constants(query)  # every fact derivable about the queried individual
        order = [f for f, how in known.items() if how is not None and constants(f) & about]
    number = {f: i for i, f in enumerate(premises) if f is not None}
    steps = []
    for f in order:
        if f in number:
            continue
        how = known[f]
        number[f] = len(premises) + len(steps)
        steps.append(ProofStep(how.option, [number[p] for p in how.parents] + list(how.extra), render(f)))
    steps.append(ProofStep("CONCLUDE", [LABELS.index(label)]))
    return Proof(label, steps)


def _ancestors(f: Formula, known: dict, order: list[Formula]) -> None:
    how = known[f]
    if how is not None:
        for p in how.parents:
            _ancestors(p, known, order)
    if f not in order:
        order.append(f)


def verify_text(problem, text: str) -> TraceResult:
    """Parse and check model output for a problem (anything with premises, formulas, query_formula,
    label and verifiable)."""
    return verify_parsed(problem, parse_trace(text, len(problem.premises)))


def verify_parsed(problem, parsed: ParsedTrace) -> TraceResult:
    """Unverifiable problems (FOLIO) get their answer checked and no step verdicts."""
    if not problem.verifiable:
        return TraceResult([], parsed.label, parsed.label == problem.label, False, parsed.verdict)
    return verify_trace(parsed, problem.formulas, problem.query_formula, problem.label)
