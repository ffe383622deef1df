"""Evaluation metrics with counts and Wilson 95% intervals, so every figure can be recomputed.

A rate is written as {"value": k/n, "k": k, "n": n, "ci95_low": ..., "ci95_high": ...}: nested numbers
only, so summary.json files stay valid DVC metrics files."""
from __future__ import annotations

import math
from collections import defaultdict

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials ((0, 1) when n == 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(k: int, n: int) -> dict:
    low, high = wilson(k, n)
    return {"value": round(k / n, 6) if n else 0.0, "k": k, "n": n, "ci95_low": round(low, 6), "ci95_high": round(high, 6)}


def trace_metrics(records: list[dict]) -> dict:
    """Accuracy over all traces; step and trace validity over traces of verifiable problems."""
    checked = [r for r in records if r["verifiable"]]
    steps = [s for r in checked for s in r["steps"]]
    return {"accuracy": rate(sum(r["answer_correct"] for r in records), len(records)),
            "step_validity": rate(sum(s["valid"] for s in steps), len(steps)),
            "trace_validity": rate(sum(r["valid"] for r in checked), len(checked))}


def summarize(records: list[dict]) -> dict:
    """Overall metrics, the same by hop count, and why steps fail (causes.breakdown)."""
    by_hops: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        by_hops[r["hops"]].append(r)
    from .causes import breakdown
    labels = defaultdict(int)
    for r in records:
        labels[r.get("gold")] += 1
    return {**trace_metrics(records), "by_hops": {str(h): trace_metrics(rs) for h, rs in sorted(by_hops.items())},
            "majority_label_share": rate(max(labels.values(), default=0), len(records)),
            "diagnosis": breakdown(records)}


def at_chance(summary: dict) -> bool:
    """Accuracy no better than always answering the test set's most common label (its 95% interval reaches it)."""
    majority = summary.get("majority_label_share", {}).get("value", 0.5)
    return summary["accuracy"]["ci95_low"] <= majority


def format_rate(m: dict, link=None) -> str:
    """"0.743 [0.691, 0.789] (223/300)"; with `link(field, text)`, each number is passed through it."""
    def v(field: str, fmt: str) -> str:
        text = format(m[field], fmt)
        return link(field, text) if link else text
    return f"{v('value', '.3f')} [{v('ci95_low', '.3f')}, {v('ci95_high', '.3f')}] ({v('k', 'd')}/{v('n', 'd')})"


def intervals_overlap(a: dict, b: dict) -> bool:
    return not (a["ci95_high"] < b["ci95_low"] or b["ci95_high"] < a["ci95_low"])
