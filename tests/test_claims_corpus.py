"""The claim checker scored on a corpus of drafts written the way people write papers (tests/claims_corpus): six
metrics layouts, Markdown and LaTeX, correct claims and wrong ones of subtle kinds. Prints the figures; fails when
a correct number is called wrong or the scores fall below what the checker reached when this test was written."""
from tests.claims_corpus.score import score


def test_corpus_scores(tmp_path, capsys):
    result = score(tmp_path)
    counts = result["counts"]
    with capsys.disabled():
        print(f"\nclaim corpus: {counts['correct'] + counts['wrong']} claims over {result['layouts']} layouts, "
              f"{result['drafts']} drafts; correct verified {result['verified_share']:.3f}; wrong caught as mismatch "
              f"with the right source {result['wrong_caught_share']:.3f}; correct called mismatch "
              f"{counts.get('correct_mismatch', 0)}; non-claims flagged {counts.get('non_claims_flagged', 0)}")
    assert counts["correct"] + counts["wrong"] >= 300 and result["layouts"] >= 6
    assert counts.get("correct_mismatch", 0) == 0, [p for p in result["problems"] if "correct" in p and "mismatch" in p]
    assert counts.get("wrong_verified", 0) == 0 and counts.get("missed", 0) == 0
    assert result["verified_share"] >= 0.92 and result["wrong_caught_share"] >= 0.95
    assert counts.get("non_claims_flagged", 0) <= 1
