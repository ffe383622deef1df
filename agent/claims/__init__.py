"""The claim checker (lesson 15): every quantitative claim in Markdown or LaTeX drafts, verified against the
metrics files under a folder. One module per concern: `names` (one vocabulary for drafts and files),
`extraction` (claims with their sentence or table cell), `index` (every number of any layout), `binding`
(which entries a claim can mean), `verdicts` (compare and recompute), and here the run over drafts, the
aggregate and staleness checks and the reports."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sokrates.io import DataError, read_json, write_json

from .extraction import Claim, extract
from .index import MetricsIndex
from .verdicts import judge

STATUSES = ("verified", "mismatch", "unsupported")


NOT_SOURCES = (".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm")


def draft_files(paths: list[Path]) -> list[Path]:
    """The drafts to check: files as given, a folder's .md and .tex files (a LaTeX project's sections too; hidden
    folders, the drafter's earlier `versions/` and READMEs, which document the folder, skipped). A missing path, an
    empty folder or a rendered document (PDF, Word) is a one-line error."""
    def is_draft(p: Path, parts: tuple) -> bool:  # parts: p relative to the folder
        return p.is_file() and p.suffix.lower() in (".md", ".tex") and not p.name.lower().startswith("readme") \
            and not any(part.startswith(".") for part in parts) and "versions" not in parts[:-1]

    files = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if is_draft(p, p.relative_to(path).parts))
            if not found:
                raise DataError(f"{path}: a folder with no .md or .tex draft in it. Fix: pass the draft's file, or "
                                "the folder of its Markdown or LaTeX source.")
            files += found
        elif not path.is_file():
            raise DataError(f"{path}: draft not found. Fix: check the path.")
        elif path.suffix.lower() in NOT_SOURCES:
            raise DataError(f"{path}: a rendered {path.suffix.lstrip('.').upper()} document, not a draft's source. "
                            "Fix: pass the Markdown or LaTeX source (export a Word document as Markdown).")
        else:
            files.append(path)
    return files


def check_paths(paths: list[Path], metrics_dir: Path, state_file: Path | None = None) -> dict:
    """Check every draft (files, or folders of them: draft_files); returns {"claims", "summary", "rules", "stale",
    "unreadable", "notes"}. A metrics file that cannot be read is skipped and listed; only a missing or unreadable
    draft is an error."""
    index = MetricsIndex.load(metrics_dir)
    claims: list[Claim] = []
    for path in draft_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{path}: not a UTF-8 text draft. Fix: pass the Markdown or LaTeX source.") from None
        claims += _judged(path, text, index)
    claims += aggregates(index)
    notes = list(index.notes)
    state = state_file or Path(metrics_dir).parent / ".sokrates" / "claims.json"
    try:
        stale = record_and_find_stale(claims, index, state)
    except OSError as err:
        stale = []
        notes.append(f"staleness not recorded: cannot write {state} ({err.strerror}); pass a writable state file")
    return {"claims": [_row(c) for c in claims],
            "summary": {s: sum(c.status == s for c in claims) for s in STATUSES},
            "rules": [c.rule for c in claims], "stale": stale, "unreadable": index.unreadable, "notes": notes}


def check_text(text: str, path: Path, index: MetricsIndex) -> list[dict]:
    """The claims of one piece of text as if it stood at `path` (its links resolve from there), checked against a
    loaded metrics index, each with its rule and the `file:key` a link can name (`link`); nothing is recorded for
    staleness."""
    return [{**_row(c), "rule": c.rule, "link": _link_target(c, index)} for c in _judged(Path(path), text, index)]


def _link_target(c: Claim, index: MetricsIndex) -> str | None:
    """The one number of a file (`file:key`) a verified claim can link to: its source, or for an interval bound
    recomputed from k/n the file's own bound beside it."""
    if c.status != "verified" or c.kind == "fraction" or not c.source:
        return None
    if c.source in index.by_where:
        return c.source
    if c.role in ("ci_low", "ci_high") and c.source.endswith(".k/n"):
        bound = f"{c.source[:-4]}.ci95_{c.role[3:]}"
        return bound if bound in index.by_where else None
    return None


def _judged(path: Path, text: str, index: MetricsIndex) -> list[Claim]:
    found = extract(path, text)
    by_sentence: dict = {}
    for c in found:
        by_sentence.setdefault((c.sentence, c.line if c.table else 0), []).append(c)
    derived = [c for c in found if c.kind in ("ratio", "difference")]  # after the numbers they compare
    for c in [c for c in found if c not in derived] + derived:
        judge(c, index, by_sentence[(c.sentence, c.line if c.table else 0)])
    return found


def _row(c: Claim) -> dict:
    return {"file": c.file, "line": c.line, "text": c.text, "value": c.value, "status": c.status, "source": c.source,
            "expected": c.expected, "context": c.sentence.strip()[:200]}


def aggregates(index: MetricsIndex) -> list[Claim]:
    """Hand-made summaries that name their own `source` files: each source must exist and agree on shared keys."""
    out = []
    for rel, obj in index.objects.items():
        named = obj.get("source") or obj.get("sources") if isinstance(obj, dict) else None
        if not named or not isinstance(named, (str, list, dict)):
            continue
        for src in [named] if isinstance(named, str) else list(named.values()) if isinstance(named, dict) else named:
            path = next((p for p in ((index.root / rel).parent / str(src), index.root / str(src)) if p.is_file()), None)
            c = Claim(str(index.root / rel), 1, str(src), 0.0, sentence=f"aggregate source of {rel}", source=str(src))
            if path is None:
                c.rule = f"aggregate names a source that does not exist: {src}"
            else:
                srel = path.resolve().relative_to(index.root.resolve()).as_posix()
                theirs = {e.key: e.value for e in index.entries if e.file == srel}
                bad = [e.key for e in index.entries if e.file == rel and e.key in theirs and abs(e.value - theirs[e.key]) > 1e-9]
                c.status = "mismatch" if bad else "verified"
                c.rule = f"aggregate disagrees with {src} on {bad}" if bad else f"aggregate agrees with {src}"
            out.append(c)
    return out


def record_and_find_stale(claims: list[Claim], index: MetricsIndex, state_file: Path) -> list[dict]:
    """Remember each verified claim's source file hash; report claims whose source file changed since."""
    def digest(file: str) -> str | None:
        p = index.root / file
        return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
    old = read_json(state_file) if state_file.is_file() else {}
    hashes, new = {}, {}
    for c in claims:
        if c.status == "verified" and c.source and ";" not in c.source and ":" in c.source:
            file = c.source.split(":")[0]
            hashes.setdefault(file, digest(file))
            new[f"{c.file}:{c.line}:{c.text}"] = {"value": c.value, "source": c.source, "hash": hashes[file]}
    stale = [{"claim": key, "source": rec["source"], "was": rec["value"]} for key, rec in old.items()
             if digest(rec["source"].split(":")[0]) != rec["hash"]]
    write_json(state_file, {**old, **new})
    return stale


def format_report(report: dict, fmt: str = "text") -> str:
    """The report for a terminal (`text`) or as Markdown (mismatches first, per file)."""
    rows = list(zip(report["claims"], report["rules"]))
    if fmt == "markdown":
        lines = ["# Claim check", ""]
        order = {"mismatch": 0, "unsupported": 1, "verified": 2}
        for file in dict.fromkeys(c["file"] for c, _ in rows):
            lines += [f"## {file}", "", "| line | claim | status | expected | source | why |", "|---|---|---|---|---|---|"]
            for c, rule in sorted((r for r in rows if r[0]["file"] == file), key=lambda r: (order[r[0]["status"]], r[0]["line"])):
                exp = "" if c["expected"] is None else f"{c['expected']:g}"
                lines.append(f"| {c['line']} | {c['text']} | {c['status']} | {exp} | {c['source'] or ''} | "
                             f"{rule.replace('|', '/')} |")
            lines.append("")
    else:
        lines = []
        for c, rule in rows:
            mark = {"verified": "ok", "mismatch": "MISMATCH", "unsupported": "UNSUPPORTED"}[c["status"]]
            exp = f" expected {c['expected']:g}" if c["expected"] is not None and c["status"] != "verified" else ""
            lines.append(f"{c['file']}:{c['line']}: {c['text']} {mark}{exp} — {c['source'] or '-'} ({rule})")
    lines += [f"STALE {s['claim']}: {s['source']} changed since it was checked (was {s['was']})" for s in report["stale"]]
    lines += [f"UNREADABLE {b} (skipped)" for b in report["unreadable"]] + [f"NOTE {n}" for n in report["notes"]]
    s = report["summary"]
    lines.append(f"{s['verified']} verified, {s['mismatch']} mismatch, {s['unsupported']} unsupported")
    return "\n".join(lines)
