import math

import pytest

from sokrates.metrics import intervals_overlap, rate, summarize, wilson


def test_wilson_matches_the_closed_form():
    low, high = wilson(81, 263)  # textbook example: 0.2553 .. 0.3662
    assert low == pytest.approx(0.2553, abs=1e-3) and high == pytest.approx(0.3662, abs=1e-3)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)


def test_rate_carries_counts_and_interval():
    r = rate(3, 4)
    assert r["value"] == 0.75 and r["k"] == 3 and r["n"] == 4 and r["ci95_low"] < 0.75 < r["ci95_high"]


def _rec(hops, correct, valid, steps, verifiable=True):
    return {"hops": hops, "answer_correct": correct, "valid": valid, "verifiable": verifiable,
            "steps": [{"valid": v} for v in steps]}


def test_summary_counts_steps_traces_and_hops():
    records = [_rec(1, True, True, [True, True]), _rec(2, True, False, [True, False, False]),
               _rec(2, False, False, [False]), _rec(3, True, False, [], verifiable=False)]
    s = summarize(records)
    assert (s["accuracy"]["k"], s["accuracy"]["n"]) == (3, 4)
    assert (s["step_validity"]["k"], s["step_validity"]["n"]) == (3, 6)
    assert (s["trace_validity"]["k"], s["trace_validity"]["n"]) == (1, 3)  # unverifiable problems excluded
    assert s["by_hops"]["2"]["accuracy"]["n"] == 2 and math.isclose(s["by_hops"]["1"]["step_validity"]["value"], 1.0)


def test_interval_overlap():
    assert not intervals_overlap(rate(10, 100), rate(60, 100))
    assert intervals_overlap(rate(50, 100), rate(55, 100))


def test_json_outputs_get_the_same_permissions_as_model_files(tmp_path):
    import os
    import stat

    from sokrates.io import write_json
    mask = os.umask(0o022)
    try:
        write_json(tmp_path / "summary.json", {"a": 1})
        (tmp_path / "weights.bin").write_bytes(b"x")  # as any library writes a file: 0666 & ~umask
    finally:
        os.umask(mask)
    mode = stat.S_IMODE((tmp_path / "summary.json").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "weights.bin").stat().st_mode) == 0o644
