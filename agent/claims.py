"""The claim checker (lesson 15): find every quantitative claim in Markdown or LaTeX drafts and verify it
against the JSON / JSONL / CSV (and YAML config) files under a folder.

Context decides: a table cell is bound to its row label and column header, a number in a sentence to
the words around it; the context names a run, a stage and a metric, and only keys of that source are
candidates, so a coincidental value elsewhere never rescues a wrong number. An explicit provenance link
`[0.743](runs/r/sft/eval/summary.json#accuracy.value)` wins over context.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sokrates.io import DataError, read_json, write_json
from sokrates.metrics import wilson

# ---------------------------------------------------------------- metrics index

@dataclass
class Source:
    file: str                 # path relative to the metrics folder
    key: str                  # dotted key inside the file
    value: float
    tokens: frozenset


METRIC_WORDS = {"accuracy": "accuracy", "acc": "accuracy", "step validity": "step_validity",
                "step-validity": "step_validity", "trace validity": "trace_validity", "trace-validity": "trace_validity",
                "pairs": "pairs", "pair": "pairs", "loss": "final_loss", "problems/s": "problems_per_s",
                "problems per second": "problems_per_s", "problems per hour": "problems_per_hour",
                "problems/hour": "problems_per_hour", "tokens/s": "tokens_per_s", "mfu": "mfu", "n": "n_problems",
                "test problems": "n_problems", "examples": "examples"}
STAGE = re.compile(r"\b(?:dpo[\s_-]*)?iter(?:ation)?[\s_-]*(\d+)\b|\b(sft)\b", re.I)


def _tokens(text: str) -> set[str]:
    text = re.sub(r"dpo[_\s-]*iter(?:ation)?[_\s-]*(\d+)", r" dpo_iter\1 ", text.lower())
    return set(re.findall(r"[a-z_][a-z0-9_]*|\d+", text.replace("/", " ").replace(".", " ")))


def _flatten(obj, prefix: str = ""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _flatten(v, f"{prefix}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield prefix, float(obj)


SKIP_FILES = ("samples.jsonl", "pairs.jsonl", "train.jsonl", "test.jsonl")


def load_index(metrics_dir: Path) -> tuple[list[Source], dict[str, dict], list[str]]:
    """Every number in the metrics files, the raw JSON objects (for aggregates) and unreadable files."""
    metrics_dir = Path(metrics_dir)
    if not metrics_dir.is_dir():
        raise DataError(f"{metrics_dir}: metrics folder not found. Fix: pass --metrics with the folder holding runs' files.")
    sources, objects, bad = [], {}, []
    for path in sorted(metrics_dir.rglob("*")):
        if not path.is_file() or path.name in SKIP_FILES or path.name.endswith(".manifest.json"):
            continue
        rel = str(path.relative_to(metrics_dir))
        try:
            if path.suffix in (".json", ".yaml", ".yml"):
                obj = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
                objects[rel] = obj
                items = list(_flatten(obj))
            elif path.suffix == ".jsonl":
                items = [(f"[{i}].{k}", v) for i, line in enumerate(path.read_text().splitlines()) if line.strip()
                         for k, v in _flatten(json.loads(line))]
            elif path.suffix == ".csv":
                with path.open() as fh:
                    rows = list(csv.DictReader(fh))
                items = []
                for row in rows:
                    label = next(iter(row.values()), "")
                    for col, v in row.items():
                        try:
                            items.append((f"{label}.{col}", float(str(v).replace(",", ""))))
                        except ValueError:
                            pass
            else:
                continue
        except (ValueError, UnicodeDecodeError, yaml.YAMLError) as err:
            bad.append(f"{path}: unreadable ({str(err).splitlines()[0][:80]})")
            continue
        file_tokens = _tokens(rel)
        for key, value in items:
            sources.append(Source(rel, key, value, frozenset(file_tokens | _tokens(key))))
    return sources, objects, bad


# ---------------------------------------------------------------- claims in drafts

@dataclass
class Claim:
    file: str
    line: int
    text: str
    value: float
    context: str
    kind: str = "number"        # number | percent | ratio | difference | count
    decimals: int = 0
    role: str = "value"         # value | ci95_low | ci95_high
    link: str | None = None     # explicit provenance path#key
    status: str = "unsupported"
    source: str | None = None
    expected: float | None = None
    rule: str = ""
    extra: dict = field(default_factory=dict)


NUMBER = re.compile(r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                    r"(?P<suffix>\s?%|\s?(?:×|x\b)|-fold\b|\s?(?:percentage\s+)?points?\b|[KM]\b)?")
NON_CLAIM_BEFORE = re.compile(r"(?:section|sec\.|table|tab\.|figure|fig\.|§|eq\.|equation|appendix|chapter|lemma|theorem|"
                              r"step|line|page|iter(?:ation)?(?:\(s\)|s)?|run|version|v)\s*$", re.I)
CONFIDENCE_LEVEL = re.compile(r"\d+(?:\.\d+)?\s?%\s+(?:wilson|confidence|ci\b|credible|interval)", re.I)
# clock times (19:53:24), dates (2026-11-24), identifiers (20261124-195324-run-..., abc123)
NOT_A_QUANTITY = re.compile(r"\d:\d|:\d\d|\d-\d\d|\d-[a-z]|[a-z]-?\d{2,}|\d{8}", re.I)
DURATION = re.compile(r"\s?(?:s|sec|seconds|min|minutes|ms)\b")  # "done in 515.8 s": timing, not a result
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
CITATION = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")


def _numbers(text: str):
    """(match, kind, decimals, role) for each number in a text that reads as a quantitative claim."""
    masked = CITATION.sub(lambda m: " " * len(m.group(0)), text)
    for m in NUMBER.finditer(masked):
        start, end = m.span()
        before, after = masked[max(0, start - 20):start], masked[end:end + 1]
        if (start and (masked[start - 1].isalpha() or masked[start - 1] in "-_")) or after.isalpha() and not m.group("suffix"):
            continue  # part of a name: Qwen3-8B, H100, x86, 0.6B
        if NON_CLAIM_BEFORE.search(before) or CONFIDENCE_LEVEL.match(masked[start:]) or NOT_A_QUANTITY.search(
                masked[max(0, start - 1):end + 3]) or DURATION.match(masked[end:]) and re.search(r"\bin\s*$", before):
            continue
        raw, suffix = m.group("num"), (m.group("suffix") or "").strip()
        number = float(raw.replace(",", ""))
        if not suffix and "." not in raw and 1900 <= number <= 2100:
            continue  # a year
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        kind = ("percent" if suffix == "%" else "ratio" if suffix in ("×", "x", "-fold") else
                "difference" if "point" in suffix else "count" if suffix in ("K", "M") else "number")
        if suffix in ("K", "M"):  # 1.5K means 1,500 to the nearest 100
            scale = 3 if suffix == "K" else 6
            number, decimals = number * 10 ** scale, decimals - scale
        opened = masked[:start].rfind("[")
        role = "value"
        if opened > masked[:start].rfind("]") and opened >= 0 and not masked[opened:].startswith("[" + raw + "]("):
            role = "ci95_low" if "," not in masked[opened:start] else "ci95_high"
        yield m, raw + (m.group("suffix") or ""), number, kind, decimals, role


def _claims_in_text(text: str, file: str, line: int, context: str, out: list[Claim]) -> None:
    """Claims of one paragraph / cell; links give explicit provenance."""
    links = {m.start(0): (m.group(1), m.group(2)) for m in LINK.finditer(text)}  # label's place in `plain`
    plain = LINK.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    for m, written, number, kind, decimals, role in _numbers(plain):
        link = next((url for pos, (label, url) in links.items() if pos <= m.start() < pos + len(label)), None)
        if link and "#" not in link:
            link = None
        ln = line + plain[:m.start()].count("\n")
        claim = Claim(file, ln, written.strip(), number, context.strip(), kind, decimals, role, link)
        if context is text:  # prose: remember where the number stands
            claim.extra["pos"] = m.start() - (len(context) - len(context.lstrip()))
        out.append(claim)


def extract_markdown(path: Path, text: str) -> list[Claim]:
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(text)
    claims: list[Claim] = []
    header: list[str] = []
    row: list[tuple[str, int]] = []
    in_head = False
    heading = ""
    for i, tok in enumerate(tokens):
        if tok.type == "thead_open":
            in_head, header = True, []
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            if in_head:
                header.append(tok.content)
            else:
                row.append((tok.content, tok.map[0] + 1 if tok.map else tokens[i - 1].map[0] + 1))
        elif tok.type == "tr_close" and row and not in_head:
            label = LINK.sub(r"\1", row[0][0])
            for col, (cell, line) in enumerate(row[1:], start=1):
                column = header[col] if col < len(header) else ""
                _claims_in_text(cell, str(path), line, f"{label} | {column} | {heading}", claims)
        elif tok.type == "inline" and tok.map and tokens[i - 1].type == "heading_open":
            heading = tok.content
        elif tok.type == "inline" and tok.map:
            _claims_in_text(tok.content, str(path), tok.map[0] + 1, tok.content, claims)
    return claims


def extract_latex(path: Path, text: str) -> list[Claim]:
    claims: list[Claim] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if r"\begin{tabular}" in line:
            header: list[str] = []
            i += 1
            while i < len(lines) and r"\end{tabular}" not in lines[i]:
                row = lines[i].strip()
                if row and not row.startswith("\\") or "&" in row:
                    cells = [c.strip() for c in row.rstrip("\\").rstrip().rstrip("\\").split("&")]
                    cells = [re.sub(r"\\[a-z]+\{([^}]*)\}", r"\1", c).replace(r"\,", " ").replace("\\%", "%") for c in cells]
                    if not header:
                        header = cells
                    else:
                        for col, cell in enumerate(cells[1:], start=1):
                            column = header[col] if col < len(header) else ""
                            _claims_in_text(cell, str(path), i + 1, f"{cells[0]} | {column}", claims)
                i += 1
        elif not line.lstrip().startswith("%") and not line.lstrip().startswith("\\begin") and not line.lstrip().startswith("\\end"):
            body = re.sub(r"\\(?:cite|ref|label|eqref)\{[^}]*\}", " ", line).replace("\\%", "%")
            _claims_in_text(body, str(path), i + 1, body, claims)
        i += 1
    return claims


# ---------------------------------------------------------------- binding and verdicts

def _concepts(context: str, pos: int | None = None) -> tuple[set[str], set[str], set[str]]:
    """(stages, metrics, other words) named by a context. In prose (`pos` = the number's offset), the
    stage and the metric are the ones mentioned nearest before the number (else nearest after it)."""
    low = context.lower()
    stage_hits = [(m.start(), f"dpo_iter{m.group(1)}" if m.group(1) else "sft") for m in STAGE.finditer(low)]
    metric_hits = [(m.start(), key) for word, key in METRIC_WORDS.items()
                   for m in re.finditer(rf"(?<![\w]){re.escape(word)}(?![\w])", low)]
    if pos is None:
        return {k for _, k in stage_hits}, {k for _, k in metric_hits}, _tokens(low)
    return _nearest(stage_hits, pos), _nearest(metric_hits, pos), _tokens(low)


def _nearest(hits: list[tuple[int, str]], pos: int) -> set[str]:
    before = [h for h in hits if h[0] < pos]
    if before:
        return {max(before)[1]}
    after = [h for h in hits if h[0] > pos]
    return {min(after)[1]} if after else set()


def _candidates(sources: list[Source], stages: set[str], metrics: set[str], words: set[str], role: str,
                default_run: str | None, run_names: set[str]) -> list[Source]:
    leaf = {"value": ("value", ""), "ci95_low": ("ci95_low",), "ci95_high": ("ci95_high",)}[role]
    named_runs = words & run_names
    out = []
    for s in sources:
        path_parts = s.file.split("/")
        if stages and not (stages & set(path_parts)):
            continue
        key_head = s.key.split(".")[0].split("[")[0]
        if metrics and key_head not in metrics and s.key.split(".")[-1] not in metrics:
            continue
        last = s.key.split(".")[-1]
        if role != "value" and last != leaf[0]:
            continue
        if role == "value" and "." in s.key and last not in ("value",) and key_head in ("accuracy", "step_validity", "trace_validity"):
            continue
        if "by_hops" in s.key and "hop" not in words:
            continue
        if named_runs and not named_runs & {p.lower() for p in path_parts}:
            continue
        out.append(s)
    if not named_runs and default_run and len({_run_of(s.file) for s in out}) > 1:
        out = [s for s in out if _run_of(s.file) == default_run] or out
    return out


def _run_of(file: str) -> str | None:
    """The run folder of a stage file: the path part before `sft` / `dpo_iterK`."""
    parts = file.split("/")
    for i, part in enumerate(parts):
        if i and (part == "sft" or part.startswith("dpo_iter")):
            return parts[i - 1]
    return None


def _matches(written: float, source: float, decimals: int, kind: str) -> bool:
    tol = 0.5 * 10 ** -decimals + 1e-9
    if kind == "percent":
        return abs(source * 100 - written) <= tol or (source > 1 and abs(source - written) <= tol)
    return abs(source - written) <= tol or (source <= 1 and kind != "count" and written > 1 and abs(source * 100 - written) <= tol)


def _display(source: float, kind: str, written: float) -> float:
    return round(source * 100, 6) if (kind == "percent" and source <= 1) or (source <= 1 < written) else source


class Checker:
    def __init__(self, metrics_dir: Path):
        self.metrics_dir = Path(metrics_dir)
        self.sources, self.objects, self.bad = load_index(self.metrics_dir)
        self.by_file_key = {(s.file, s.key): s for s in self.sources}
        self.run_names = {r.lower() for s in self.sources if (r := _run_of(s.file))}
        self.by_metric: dict[str, list[Source]] = {}  # key head and last part -> sources, to keep lookups fast
        for src in self.sources:
            for name in {src.key.split(".")[0].split("[")[0], src.key.split(".")[-1]}:
                self.by_metric.setdefault(name, []).append(src)

    def _with_metrics(self, metrics: set[str]) -> list[Source]:
        return list({id(s): s for m in metrics for s in self.by_metric.get(m, [])}.values())

    def _resolve_link(self, link: str, doc: Path) -> tuple[str, str] | None:
        path, _, key = link.partition("#")
        target = (doc.parent / path).resolve()
        try:
            return str(target.relative_to(self.metrics_dir.resolve())), key
        except ValueError:
            return (path, key) if (path, key) in self.by_file_key else None

    def verify(self, claim: Claim, doc: Path, default_run: str | None) -> Claim:
        if claim.link:
            ref = self._resolve_link(claim.link, doc)
            src = self.by_file_key.get(ref) if ref else None
            if src is None:
                claim.status, claim.rule = "unsupported", f"provenance {claim.link} names no number in the metrics"
                return claim
            return self._compare(claim, src, "explicit provenance")
        stages, metrics, words = _concepts(claim.context, None if claim.kind in ("ratio", "difference")
                                           else claim.extra.get("pos"))
        if claim.kind in ("ratio", "difference"):
            return self._two_value(claim, stages, metrics, words, default_run)
        if not metrics:
            claim.rule = "no metric named in its context"
            return claim
        cands = _candidates(self._with_metrics(metrics), stages, metrics, words, claim.role, default_run, self.run_names)
        if not stages:
            cands = [c for c in cands if not any(p.startswith(("sft", "dpo_iter")) for p in c.file.split("/"))] or cands
        if not cands:
            claim.rule = f"no source for {sorted(stages) or ''} {sorted(metrics)}"
            return claim
        if len({c.value for c in cands}) > 1:
            hit = next((c for c in cands if _matches(claim.value, c.value, claim.decimals, claim.kind)), None)
            if hit is None or len(cands) > 3:
                claim.rule = f"context is ambiguous: {len(cands)} candidate keys"
                claim.status = "unsupported"
                return claim
            return self._compare(claim, hit, "context")
        return self._compare(claim, cands[0], "context (row/column)" if "|" in claim.context else "context")

    def _compare(self, claim: Claim, src: Source, how: str) -> Claim:
        claim.source = f"{src.file}:{src.key}"
        claim.expected = _display(src.value, claim.kind, claim.value)
        ok = _matches(claim.value, src.value, claim.decimals, claim.kind)
        claim.status = "verified" if ok else "mismatch"
        claim.rule = f"{how}; rounding to {claim.decimals} decimal(s)"
        if ok or claim.role != "value":
            self._consistency(claim, src)
        return claim

    def _consistency(self, claim: Claim, src: Source) -> None:
        """A rate must be k/n for an integer k at the written precision; an interval must be Wilson(k, n)."""
        head, _, leaf = src.key.rpartition(".")
        if leaf not in ("value", "ci95_low", "ci95_high"):
            return  # a count itself (k, n) has nothing to be consistent with
        n = self.by_file_key.get((src.file, f"{head}.n"))
        k = self.by_file_key.get((src.file, f"{head}.k"))
        if n is None or k is None or n.value == 0:
            return
        scale = 100 if claim.kind == "percent" or claim.value > 1 else 1
        if claim.role == "value":
            if not any(_matches(claim.value, kk / n.value, claim.decimals, "percent" if scale == 100 else "number")
                       for kk in range(int(n.value) + 1)):
                claim.status, claim.rule = "mismatch", f"no k/{int(n.value)} rounds to {claim.text}"
        else:
            low, high = wilson(int(k.value), int(n.value))
            bound = low if claim.role == "ci95_low" else high
            claim.extra["wilson"] = round(bound, 6)
            if not _matches(claim.value, bound, claim.decimals, claim.kind):
                claim.status = "mismatch"
                claim.rule = f"Wilson interval of {int(k.value)}/{int(n.value)} gives {bound:.4f}"
                claim.expected = round(bound * scale, 6)

    def _two_value(self, claim: Claim, stages: set[str], metrics: set[str], words: set[str], default_run) -> Claim:
        """Ratios (44x, 44-fold) and differences (4.1 points) of two source values named by the context:
        two stages and a metric ("DPO iter2 vs SFT step validity"), or two named sources ("vllm", "hf_generate")."""
        named = list(dict.fromkeys(f"dpo_iter{m.group(1)}" if m.group(1) else "sft"
                                   for m in STAGE.finditer(claim.context.lower())))[:2]
        picks: list[Source] = []
        if len(named) == 2 and metrics:
            for stage in named:
                c = _candidates(self._with_metrics(metrics), {stage}, metrics, words, "value", default_run, self.run_names)
                if len(c) == 1:
                    picks.append(c[0])
            picks.sort(key=lambda src: _stage_rank(src.file))  # earlier stage first
        else:
            groups: dict[frozenset, list[Source]] = {}
            for src in self.sources:
                if metrics and src.key.split(".")[-1] not in metrics and src.key.split(".")[0] not in metrics:
                    continue
                hits = frozenset(src.tokens & words - set(metrics) - {"value", "summary", "json", "runs", "per", "s"})
                if hits:
                    groups.setdefault(hits, []).append(src)
            picks = [g[0] for g in groups.values() if len(g) == 1][:2]
        if len(picks) != 2:
            claim.rule = "a ratio or difference needs exactly two source values named in its context"
            return claim
        a, b = picks
        if claim.kind == "ratio":
            big, small = (a, b) if a.value >= b.value else (b, a)
            computed = big.value / small.value if small.value else float("inf")
            claim.rule = f"ratio: {big.file}:{big.key} ÷ {small.file}:{small.key} = {computed:.4g}×"
        else:
            scale = 100 if abs(a.value) <= 1 and abs(b.value) <= 1 else 1
            computed = (b.value - a.value) * scale
            claim.rule = f"difference: {b.file}:{b.key} − {a.file}:{a.key} = {computed:+.4g} points"
        claim.source = f"{a.file}:{a.key} ; {b.file}:{b.key}"
        claim.expected = round(abs(computed), 6)
        claim.status = "verified" if abs(abs(computed) - claim.value) <= 0.5 * 10 ** -claim.decimals + 1e-9 else "mismatch"
        return claim

    def aggregates(self) -> list[Claim]:
        """Hand-made summaries that name their own `source` files: the sources must exist and agree."""
        out = []
        for rel, obj in self.objects.items():
            if not isinstance(obj, dict):
                continue
            named = obj.get("source") or obj.get("sources")
            if not named:
                continue
            for src in [named] if isinstance(named, str) else list(named.values()) if isinstance(named, dict) else named:
                target = (self.metrics_dir / rel).parent / src
                alt = self.metrics_dir / src
                path = target if target.exists() else alt
                c = Claim(str(self.metrics_dir / rel), 1, str(src), 0.0, f"aggregate source of {rel}", source=str(src))
                if not path.exists():
                    c.status, c.rule = "unsupported", f"aggregate names a source that does not exist: {src}"
                else:
                    srel = str(path.resolve().relative_to(self.metrics_dir.resolve()))
                    theirs = {s.key: s.value for s in self.sources if s.file == srel}
                    ours = {s.key: s.value for s in self.sources if s.file == rel}
                    bad = [k for k in ours if k in theirs and abs(ours[k] - theirs[k]) > 1e-9]
                    c.status = "mismatch" if bad else "verified"
                    c.rule = f"aggregate disagrees with {src} on {bad}" if bad else f"aggregate agrees with {src}"
                out.append(c)
        return out


def _stage_rank(file: str) -> int:
    m = re.search(r"dpo_iter(\d+)", file)
    return int(m.group(1)) if m else 0


def _default_run(claims: list[Claim]) -> str | None:
    runs = [m.group(1) for c in claims if c.link for m in [re.search(r"runs/([^/]+)/", c.link)] if m]
    return max(set(runs), key=runs.count) if runs else None


def check_paths(paths: list[Path], metrics_dir: Path, state_file: Path | None = None) -> dict:
    """Check every draft; returns {"claims": [...], "summary": {...}, "stale": [...], "unreadable": [...]}."""
    checker = Checker(metrics_dir)
    claims: list[Claim] = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: draft not found. Fix: check the path.")
        text = path.read_text(encoding="utf-8")
        found = extract_latex(path, text) if path.suffix == ".tex" else extract_markdown(path, text)
        default = _default_run(found)
        claims += [checker.verify(c, path, default) for c in found]
    if checker.bad:
        raise DataError(f"unreadable metrics file: {checker.bad[0]}. Fix: repair or remove it.")
    claims += checker.aggregates()
    report = {"claims": [{"file": c.file, "line": c.line, "text": c.text, "value": c.value, "status": c.status,
                          "source": c.source, "expected": c.expected, "context": c.context[:200]} for c in claims],
              "summary": {s: sum(c.status == s for c in claims) for s in ("verified", "mismatch", "unsupported")}}
    report["rules"] = [c.rule for c in claims]
    report["stale"] = record_and_find_stale(claims, checker, state_file or Path(metrics_dir).parent / ".sokrates" / "claims.json")
    report["unreadable"] = checker.bad
    return report


def record_and_find_stale(claims: list[Claim], checker: Checker, state_file: Path) -> list[dict]:
    """Remember each verified claim's source file hash; report claims whose source file changed since."""
    old = read_json(state_file) if state_file.is_file() else {}
    hashes = {}
    stale, new = [], {}
    for c in claims:
        if c.status != "verified" or not c.source or ";" in c.source:
            continue
        file = c.source.split(":")[0]
        if file not in hashes:
            p = checker.metrics_dir / file
            hashes[file] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
        key = f"{c.file}:{c.line}:{c.text}"
        new[key] = {"value": c.value, "source": c.source, "hash": hashes[file]}
    for key, rec in old.items():
        file = rec["source"].split(":")[0]
        p = checker.metrics_dir / file
        now = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
        if now != rec["hash"]:
            stale.append({"claim": key, "source": rec["source"], "was": rec["value"]})
    write_json(state_file, {**old, **new})
    return stale


def format_report(report: dict) -> str:
    lines = []
    for c, rule in zip(report["claims"], report["rules"]):
        mark = {"verified": "ok", "mismatch": "MISMATCH", "unsupported": "UNSUPPORTED"}[c["status"]]
        exp = f" expected {c['expected']:g}" if c["expected"] is not None and c["status"] != "verified" else ""
        lines.append(f"{c['file']}:{c['line']}: {c['text']} {mark}{exp} — {c['source'] or '-'} ({rule})")
    for s in report["stale"]:
        lines.append(f"STALE {s['claim']}: {s['source']} changed since it was checked (was {s['was']})")
    lines += [f"UNREADABLE {b}" for b in report["unreadable"]]
    s = report["summary"]
    lines.append(f"{s['verified']} verified, {s['mismatch']} mismatch, {s['unsupported']} unsupported")
    return "\n".join(lines)
