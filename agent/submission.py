"""Submission checks (lesson 13): abstract / TL;DR length, figures and tables referenced but missing,
bibliography entries whose year disagrees with their arXiv identifier."""
from __future__ import annotations

import re
from pathlib import Path

ABSTRACT = re.compile(r"^#+\s*(abstract|tl;?dr)\s*$", re.I | re.M)
REF = re.compile(r"\b(Figure|Fig\.|Table)\s+(\d+)", re.I)


def _abstract(text: str) -> str | None:
    m = ABSTRACT.search(text)
    if m:
        rest = text[m.end():]
        nxt = re.search(r"^#+\s", rest, re.M)
        return rest[: nxt.start()].strip() if nxt else rest.strip()
    m = re.search(r"\\begin\{abstract\}(.*?)\\end\{abstract\}", text, re.S)
    return m.group(1).strip() if m else None


def _defined(text: str, kind: str) -> set[int]:
    """Figure/table numbers the draft defines: captions ("Table 2:"), images, LaTeX environments in order."""
    caps = {int(n) for n in re.findall(rf"^\s*\**{kind}\s+(\d+)[.:]", text, re.I | re.M)}
    if kind == "Figure":
        caps |= set(range(1, len(re.findall(r"!\[[^\]]*\]\([^)]+\)", text)) + 1))
        caps |= set(range(1, len(re.findall(r"\\begin\{figure", text)) + 1))
    else:
        caps |= set(range(1, len(re.findall(r"\\begin\{table", text)) + 1))
    return caps


def submission_checks(paths: list[Path], abstract_limit: int, bib: Path | None = None) -> list[str]:
    problems = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        abstract = _abstract(text)
        if abstract is not None and len(abstract) > abstract_limit:
            problems.append(f"{path}: the abstract/TL;DR has {len(abstract)} characters, over the limit of {abstract_limit}")
        for kind in ("Figure", "Table"):
            defined = _defined(text, kind)
            for m in REF.finditer(text):
                label = "Figure" if m.group(1).lower().startswith("fig") else "Table"
                if label == kind and int(m.group(2)) not in defined:
                    line = text[: m.start()].count("\n") + 1
                    problems.append(f"{path}:{line}: {kind} {m.group(2)} is referenced but not in the draft")
    if bib is not None:
        problems += bibliography_years(bib)
    return sorted(set(problems))


def bibliography_years(bib: Path) -> list[str]:
    """BibTeX entries whose `year` disagrees with the year of their arXiv identifier (YYMM.NNNNN)."""
    text = Path(bib).read_text(encoding="utf-8")
    out = []
    for entry in re.finditer(r"@\w+\{([^,]+),(.*?)\n\}", text, re.S):
        key, body = entry.group(1), entry.group(2)
        year = re.search(r"year\s*=\s*[{\"]?(\d{4})", body)
        arxiv = re.search(r"(?:arxiv[:/ ]|eprint\s*=\s*[{\"])(\d{2})(\d{2})\.\d{4,5}", body, re.I)
        if year and arxiv:
            expected = 2000 + int(arxiv.group(1))
            if int(year.group(1)) != expected:
                line = text[: entry.start()].count("\n") + 1
                out.append(f"{bib}:{line}: {key} says year {year.group(1)} but its arXiv id is from {expected}")
    return out
