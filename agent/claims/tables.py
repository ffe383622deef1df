"""Reading a table, Markdown or LaTeX alike: which leading cells name a row, what a caption's abbreviations and a
sweep grid's corner cell say the headers and labels mean, and which cells of a Δ column compare which two values."""
from __future__ import annotations

import re

from .names import CONFIG, words


def leading_labels(texts: list[str]) -> int:
    """How many leading cells of a table row name it: the first always (even "500"), then each that holds no number or
    holds words ("+ DPO (3 iter.)"); the value cells start after them."""
    from .extraction import numbers  # (extraction reads its tables through this module)
    k = 1
    while k < len(texts) and (not numbers(texts[k]) or re.search(r"[A-Za-z]{2,}", texts[k])):
        k += 1
    return k


def grid_settings(corner: str) -> tuple[str, str]:
    """A sweep grid's corner cell ("β \\ lr", "β / lr"): the setting its row labels hold and the one its column
    headers hold ("" where it names none)."""
    parts = [p.strip() for p in re.split(r"\\\\|\\|/|×", corner) if p.strip()]
    found = [p for p in parts if any(w in CONFIG for w in words(p))]
    return (found[0] if found else "", found[1] if len(found) > 1 else "")


def with_setting(setting: str, text: str) -> str:
    """A grid's label "0.1" under the setting "β" reads "β = 0.1" (names.words turns it into `beta=0.1`)."""
    return f"{setting} = {text}" if setting and re.fullmatch(r"\s*\$?[\d.]+(?:\s*e\s*[-−]?\d+)?\$?\s*", text) else text


ABBREVIATION = re.compile(r"\b([A-Z][A-Za-z.]{0,5})\s*(?:=|:)\s*([A-Za-z][A-Za-z -]{2,40}?)\s*(?=[,;.(]|$)")


def with_abbreviations(headers: list[str], caption: str) -> list[str]:
    """Column headers with what the caption says they stand for ("SV = step validity": `SV` also names step validity)."""
    defs = {a.strip(".").lower(): long for a, long in ABBREVIATION.findall(caption)}
    return [f"{h} {defs[key]}" if (key := h.strip().strip(".").lower()) in defs else h for h in headers]


DELTA = re.compile(r"^\s*(?:Δ|∆|\\Delta|delta|diff\.?|difference|change|gain|improvement)\b", re.I)


def table_deltas(rows: list[dict], cells: dict[int, list], header: list[str]) -> list[dict]:
    """A Δ column ("| 72.1 | +1.0 |") holds the change of the value to its left against the table's first row (or the
    row above): each Δ cell gets those two written values to be checked against (verdicts). Returns the rows so far."""
    for col, found in cells.items():
        if col < len(header) and DELTA.match(header[col]) and len(found) == 1:
            left = max((c for c in cells if c < col and not DELTA.match(header[c] if c < len(header) else "")),
                       default=None)
            if left is not None and rows:
                value = cells[left][0]
                found[0].extra["delta_of"] = [(r[left][0], value) for r in (rows[0], rows[-1]) if left in r]
    return rows + [cells]
