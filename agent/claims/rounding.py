"""Rounding: whether a written number is a source's value at the precision it is written with, and a source's value
in the units the number is written in (a fraction of 0.7233 shown as 72.33 for "72.3%")."""
from __future__ import annotations

from .extraction import Claim


def matches(written: float, source: float, decimals: int, kind: str) -> bool:
    """The source rounds to the written number (a fraction written as a percentage, or the reverse, counts)."""
    tol = 0.5 * 10 ** -decimals + 1e-9
    if kind == "percent":
        return abs(source * 100 - written) <= tol or (abs(source) > 1 and abs(source - written) <= tol)
    return abs(source - written) <= tol or (abs(source) <= 1 < abs(written) and abs(source * 100 - written) <= tol)


def display(source: float, claim: Claim) -> float:
    """The source in the written number's units: x100 for a fraction written as a percentage or above 1."""
    scaled = claim.kind == "percent" and abs(source) <= 1 or abs(source) <= 1 < abs(claim.value)
    return round(source * 100 if scaled else source, 6)
