"""Problems: the processed record, a seeded PrOntoQA-style generator, and loaders for local
PrOntoQA and FOLIO files. The JSONL schema is documented in docs/schema.md.

Gold proofs are never hand-built: the solver's proof search (`solver.prove`) writes the
shortest goal-directed proof from the premises, so every gold step cites exactly the fact
and rule it uses.
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from .io import DataError, not_text, read_jsonl
from .logic import And, Formula, literal, parse_sentence, render, rule
from .solver import Proof, prove
from .traces import render_prompt, render_trace

CONCEPTS = ["wumpus", "yumpus", "zumpus", "dumpus", "rompus", "numpus", "tumpus", "vumpus", "impus",
            "jompus", "gorpus", "shumpus", "lempus", "sterpus", "grimpus", "lorpus", "brimpus", "kurpus"]
ADJECTIVES = ["dull", "bright", "transparent", "opaque", "wooden", "metallic", "shy", "kind", "sour",
              "sweet", "fruity", "floral", "large", "small", "red", "blue", "happy", "angry", "hot", "cold",
              "luminous", "nervous", "feisty", "bitter"]
NAMES = ["Sally", "Stella", "Max", "Alex", "Fae", "Polly", "Rex", "Sam", "Wren", "Gwen"]
STYLES = ("every", "each", "plural")

FIELDS = {"id": str, "source": str, "premises": list, "query": str, "label": str, "hops": int,
          "proof": list, "verifiable": bool, "meta": dict}
REQUIRED = ("id", "premises", "query", "label")


@dataclass
class Problem:
    """One problem in the processed schema (docs/schema.md)."""
    id: str
    premises: list[str]
    query: str
    label: str                      # "True" | "False" | "Unknown"
    hops: int = 0                   # rule applications (MP/MT) in the gold proof
    proof: list[dict] = field(default_factory=list)  # [{"option", "args", "formula"}], ends with CONCLUDE
    source: str = "generated"       # "generated" | "prontoqa" | "folio" | a file name
    verifiable: bool = True         # every premise and the query parse into formulas the solver checks
    meta: dict = field(default_factory=dict)

    @cached_property
    def formulas(self) -> list[Formula | None]:
        return [parse_sentence(p) for p in self.premises]

    @cached_property
    def query_formula(self) -> Formula | None:
        return parse_sentence(self.query)

    def prompt(self, template: str = "solve_compact") -> str:
        """What the model reads."""
        return render_prompt(self.premises, self.query, template)

    def target(self, style: str = "plain") -> str:
        """What SFT teaches the model to write: the gold proof as an optionized trace (traces.render_trace)."""
        return render_trace(self.premises, self.proof, style)

    def to_record(self) -> dict:
        return {k: v for k, v in asdict(self).items()}

    @classmethod
    def from_record(cls, record: dict, where: str = "") -> "Problem":
        """Validate one JSONL record; raises DataError naming `where` (file:line) and the fix."""
        unknown = sorted(set(record) - set(FIELDS) - {"_line"})
        if unknown:
            raise DataError(f"{where}: unknown field(s) {unknown}. Fix: use the fields of docs/schema.md "
                            f"({', '.join(FIELDS)}), or load the file with --format prontoqa/folio.")
        for name in REQUIRED:
            if name not in record:
                raise DataError(f"{where}: missing field '{name}'. Fix: every record needs {', '.join(REQUIRED)}.")
        for name, kind in FIELDS.items():
            if name in record and not isinstance(record[name], kind):
                raise DataError(f"{where}: field '{name}' must be {kind.__name__}, got {type(record[name]).__name__}.")
        if record["label"] not in ("True", "False", "Unknown"):
            raise DataError(f"{where}: label must be True, False or Unknown, got {record['label']!r}.")
        return cls(**{k: v for k, v in record.items() if k in FIELDS})


def read_problems(path: str | Path) -> list[Problem]:
    return [Problem.from_record(r, f"{path}:{r['_line']}") for r in read_jsonl(path)]


def write_problems(path: str | Path, problems: list[Problem]) -> None:
    from .io import write_jsonl
    write_jsonl(path, [p.to_record() for p in problems])


def from_formulas(pid: str, premises: list[Formula], query: Formula, styles: list[str] | None = None,
                  source: str = "generated", meta: dict | None = None) -> Problem:
    """A problem whose label and gold proof come from the solver's proof search."""
    proof = prove(premises, query)
    texts = [render(f, s) for f, s in zip(premises, styles or ["every"] * len(premises))]
    return Problem(pid, texts, render(query), proof.label, _hops(proof), [s.to_dict() for s in proof.steps],
                   source, True, meta or {})


def _hops(proof: Proof) -> int:
    return sum(s.option in ("MODUS_PONENS", "MODUS_TOLLENS") for s in proof.steps)


# ---------------------------------------------------------------- generator

@dataclass
class GeneratorConfig:
    n: int = 1000
    seed: int = 0
    min_hops: int = 1
    max_hops: int = 5
    tollens_ratio: float = 0.15   # given a negated fact, prove backwards with MODUS_TOLLENS
    and_ratio: float = 0.15       # the given fact is a conjunction (needs AND_ELIM first)
    unknown_ratio: float = 0.0    # the queried property is unrelated to the individual
    distractors: float = 1.0      # chance that each distractor premise is included (1: always, the benchmark task)
    wordings: tuple = STYLES      # how rules may be worded ("every", "each", "plural"), one drawn per premise


def generate_problem(seed: int, index: int, cfg: GeneratorConfig) -> Problem:
    """Problem `index` of the stream `seed`: the same inputs always give the same problem."""
    rng = random.Random(f"{seed}:{index}")
    hops = rng.randint(cfg.min_hops, cfg.max_hops)
    roll = rng.random()
    variant = ("tollens" if roll < cfg.tollens_ratio else
               "and" if roll < cfg.tollens_ratio + cfg.and_ratio else
               "unknown" if roll < cfg.tollens_ratio + cfg.and_ratio + cfg.unknown_ratio else "chain")
    concepts = rng.sample(CONCEPTS, hops + 4)
    chain, (d_opp, d_branch, d_side, d_unreach) = concepts[:hops], concepts[hops:]
    target, prop_a, prop_b, prop_u = rng.sample(ADJECTIVES, 4)
    name, other = rng.sample(NAMES, 2)
    positive = rng.random() < 0.5 or variant == "tollens"

    premises: list[Formula] = [rule(a, b) for a, b in zip(chain, chain[1:])]
    premises.append(rule(chain[-1], target, positive, noun=False))
    # distractors: the target property with the opposite sign on a concept the individual is not,
    # a property and a branch off the chain, another individual, an unreachable property.
    distractors = [rule(d_opp, target, variant == "tollens" or not positive, noun=False),
                   rule(rng.choice(chain), prop_a, rng.random() < 0.5, noun=False),
                   rule(rng.choice(chain), d_branch),
                   rule(d_branch, prop_b, rng.random() < 0.5, noun=False),
                   literal(d_opp, other)]
    if variant == "unknown":
        premises.append(rule(d_unreach, prop_u, rng.random() < 0.5, noun=False))
    premises += [f for f in distractors if cfg.distractors >= 1 or rng.random() < cfg.distractors]

    if variant == "tollens":
        fact: Formula = literal(target, name, False, noun=False)
        query = literal(chain[0], name, rng.random() < 0.5)
    else:
        fact = literal(chain[0], name)
        if variant == "and":
            side = literal(d_side, name)
            fact = And(fact, side) if rng.random() < 0.5 else And(side, fact)
        queried = prop_u if variant == "unknown" else target
        query = literal(queried, name, rng.random() < 0.5, noun=False)
    premises.append(fact)

    order = list(range(len(premises)))
    rng.shuffle(order)
    premises = [premises[i] for i in order]
    styles = [rng.choice(cfg.wordings) for _ in premises]
    return from_formulas(f"gen-{seed}-{index:06d}", premises, query, styles,
                         meta={"variant": variant, "seed": seed, "index": index})


def generate(cfg: GeneratorConfig) -> list[Problem]:
    if cfg.n < 1:
        raise DataError(f"cannot generate {cfg.n} problems. Fix: ask for at least 1 (--n).")
    if not cfg.wordings or set(cfg.wordings) - set(STYLES):
        raise DataError(f"unknown rule wordings {list(cfg.wordings)}. Fix: choose from {list(STYLES)}.")
    if not 1 <= cfg.min_hops <= cfg.max_hops:
        raise DataError(f"hops must satisfy 1 <= min_hops <= max_hops, got min_hops={cfg.min_hops}, "
                        f"max_hops={cfg.max_hops}. Fix: swap or correct --min-hops/--max-hops.")
    return [generate_problem(cfg.seed, i, cfg) for i in range(cfg.n)]


# ---------------------------------------------------------------- public formats

def _split_sentences(text: str) -> list[str]:
    return [s.strip() for s in text.replace("\n", " ").split(".") if s.strip()]


def _query_text(question: str) -> str:
    """The statement of a PrOntoQA question ("True or false: Max is sour." / "Prove: ...")."""
    for prefix in ("Is the following statement true or false?", "True or false:", "Prove:"):
        if prefix.lower() in question.lower():
            question = question[question.lower().index(prefix.lower()) + len(prefix):]
    return question.strip().rstrip(".")


def _label(answer) -> str:
    text = str(answer).strip().strip("()").lower()
    return {"a": "True", "true": "True", "b": "False", "false": "False", "c": "Unknown",
            "unknown": "Unknown", "uncertain": "Unknown"}.get(text.split(")")[0], "")


def _from_public(pid: str, premises: list[str], query: str, label: str, source: str) -> Problem:
    formulas = [parse_sentence(p) for p in premises]
    q = parse_sentence(query)
    if q is not None and all(f is not None for f in formulas):
        problem = from_formulas(pid, formulas, q, source=source)
        problem.premises, problem.query = premises, query  # keep the file's own wording
        if label and problem.label != label:
            problem.meta["file_label"] = label  # the file disagrees with the solver: keep both, flag it
        return problem
    return Problem(pid, premises, query, label, source=source, verifiable=False)


def load_prontoqa(path: str | Path) -> list[Problem]:
    """PrOntoQA as published: the generator's JSON ({"example1": {"test_example": {"question",
    "query", "answer"}}}) or Logic-LM style records ({"id", "context", "question", "answer"}) in
    JSON or JSONL."""
    path = Path(path)
    raw = _read_any_json(path)
    problems = []
    if isinstance(raw, dict):
        for key, example in raw.items():
            test = example.get("test_example", example) if isinstance(example, dict) else None
            if not isinstance(test, dict) or "question" not in test:
                raise DataError(f"{path}: entry {key!r} has no test_example.question. Fix: pass the PrOntoQA "
                                "generator's JSON or records with context/question/answer.")
            problems.append(_from_public(f"prontoqa-{key}", _split_sentences(test["question"]),
                                         _query_text(test.get("query", "")), _label(test.get("answer", "")), "prontoqa"))
        return problems
    for i, rec in enumerate(raw):
        if "context" not in rec or "question" not in rec:
            raise DataError(f"{path}: record {i + 1} lacks 'context' or 'question' (fields: {sorted(rec)}). "
                            "Fix: pass PrOntoQA records, or --format folio / sokrates.")
        problems.append(_from_public(str(rec.get("id", f"prontoqa-{i}")), _split_sentences(rec["context"]),
                                     _query_text(rec["question"]), _label(rec.get("answer", "")), "prontoqa"))
    return problems


def load_folio(path: str | Path) -> list[Problem]:
    """FOLIO records ({"premises", "conclusion", "label", "premises-FOL", ...}). FOLIO's open-domain
    English is beyond the solver's grammar, so such problems are loaded unverifiable: they count
    for answer accuracy only, never for step validity."""
    path = Path(path)
    problems = []
    records = _read_any_json(path)
    if isinstance(records, dict):
        raise DataError(f"{path}: one JSON object, not a list of FOLIO records. Fix: pass a JSON list or JSON Lines "
                        "file of records with premises/conclusion/label.")
    for i, rec in enumerate(records):
        if "premises" not in rec or "conclusion" not in rec:
            raise DataError(f"{path}: record {i + 1} lacks 'premises' or 'conclusion' (fields: {sorted(rec)}).")
        premises = rec["premises"] if isinstance(rec["premises"], list) else \
            [p for p in str(rec["premises"]).split("\n") if p.strip()]
        pid = str(rec.get("example_id", rec.get("id", f"folio-{i}")))
        problems.append(_from_public(f"folio-{pid}", premises, rec["conclusion"], _label(rec.get("label", "")), "folio"))
    return problems


def _read_any_json(path: Path):
    """A JSON document, or the records of a JSON Lines file, read through `datasets` when it is a list."""
    if not path.is_file():
        raise DataError(f"{path}: file not found. Fix: check the path.")
    try:
        text = path.read_text(encoding="utf-8").lstrip()
    except UnicodeDecodeError:
        raise not_text(path) from None
    if text.startswith("{") and "\n{" not in text.rstrip():
        return json.loads(text)  # a single JSON object (the PrOntoQA generator's format)
    import datasets  # records: the `datasets` json builder (local files only, no hub access)
    try:
        ds = datasets.load_dataset("json", data_files=str(path), split="train")
    except Exception as err:  # noqa: BLE001 - datasets raises many types for bad JSON
        raise DataError(f"{path}: cannot read as JSON records ({str(err).splitlines()[0][:120]}).") from None
    return list(ds)


def load_problems(path: str | Path, fmt: str = "auto") -> list[Problem]:
    """Problems from a processed JSONL file or a public-format file (fmt: auto|sokrates|prontoqa|folio)."""
    path = Path(path)
    if fmt == "auto":
        try:
            head = path.read_text(encoding="utf-8")[:4000] if path.is_file() else ""
        except UnicodeDecodeError:
            raise not_text(path) from None
        fmt = ("sokrates" if '"premises"' in head and '"query"' in head else
               "folio" if '"conclusion"' in head else "prontoqa" if head else "sokrates")
    loaders = {"sokrates": read_problems, "prontoqa": load_prontoqa, "folio": load_folio}
    if fmt not in loaders:
        raise DataError(f"unknown format {fmt!r}. Fix: use one of {sorted(loaders)} or auto.")
    problems = loaders[fmt](path)
    if not problems:
        raise DataError(f"{path}: no problems in the file. Fix: check that it is the right file and format ({fmt}).")
    return problems
