"""Score the claim checker on the corpus (tests/claims_corpus/build.py): run it over every draft and compare each
reported claim with the verdict registered for it. Prints the figures with `python -m tests.claims_corpus.score`."""
from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

from agent.claims import check_paths

from .build import build


def _norm(text: str) -> str:
    return re.sub(r"[^\d.,/]", "", text).strip(".,")


def score(root: Path) -> dict:
    out = Counter()
    problems = []
    drafts = build(root)
    for path, metrics, draft in drafts:
        report = check_paths([path], metrics, root / "state.json")
        found = [(c, r) for c, r in zip(report["claims"], report["rules"]) if c["file"] == str(path)]
        i = 0
        for text, want, source, kind in draft.expect:
            j = next((j for j in range(i, len(found)) if _norm(found[j][0]["text"]) == _norm(text)), None)
            if j is None:
                out["missed"] += 1
                problems.append(f"{draft.name}: {text!r} ({kind}) not extracted")
                continue
            for extra, rule in found[i:j]:  # reported but registered as no claim
                if extra["status"] != "verified":
                    out["non_claims_flagged"] += 1
                    problems.append(f"{draft.name}:{extra['line']}: non-claim {extra['text']!r} {extra['status']} ({rule})")
            claim, rule = found[j]
            i = j + 1
            if want == "verified":
                out["correct"] += 1
                out[f"correct_{claim['status']}"] += 1
                if claim["status"] != "verified":
                    problems.append(f"{draft.name}:{claim['line']}: correct {text!r} {claim['status']} ({rule})")
            else:
                out["wrong"] += 1
                right = claim["status"] == "mismatch" and source in (claim["source"] or "")
                out["wrong_flagged_right_source" if right else f"wrong_{claim['status']}"] += 1
                if not right:
                    problems.append(f"{draft.name}:{claim['line']}: wrong {text!r} ({kind}) {claim['status']} "
                                    f"source {claim['source']} ({rule})")
        for extra, rule in found[i:]:
            if extra["status"] != "verified":
                out["non_claims_flagged"] += 1
                problems.append(f"{draft.name}:{extra['line']}: non-claim {extra['text']!r} {extra['status']} ({rule})")
    return {"counts": dict(out), "layouts": len({m for _, m, _ in drafts}), "drafts": len(drafts), "problems": problems,
            "verified_share": out["correct_verified"] / max(1, out["correct"]),
            "wrong_caught_share": out["wrong_flagged_right_source"] / max(1, out["wrong"])}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        result = score(Path(tmp))
    print("\n".join(result["problems"]))
    print(result["counts"])
    print(f"correct claims verified {result['verified_share']:.3f}; wrong claims caught with the right source "
          f"{result['wrong_caught_share']:.3f}")
