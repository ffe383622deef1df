import json
import subprocess
import sys


def _run(*args):
    return subprocess.run([sys.executable, "-m", "sokrates", *args], capture_output=True, text=True)


def test_generate_check_verify_round_trip(tmp_path):
    problems = tmp_path / "p.jsonl"
    assert _run("data", "generate", "--out", str(problems), "--n", "40").returncode == 0
    assert _run("data", "check", str(problems)).returncode == 0
    records = [json.loads(line) for line in problems.read_text().splitlines()]
    from sokrates.problems import Problem
    traces = tmp_path / "t.jsonl"
    lines = [{"problem_id": r["id"], "text": Problem.from_record(r).target()} for r in records[:3]]
    lines.append({"problem_id": records[3]["id"], "text": "Thought: So it is true.\nAction: <Option type=\"CONCLUDE\" args=\"[0]\" />"})
    traces.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = _run("verify", str(traces), "--problems", str(problems), "--out", str(tmp_path / "v.jsonl"))
    assert out.returncode == 0 and "3/4 traces valid" in out.stdout
    assert [json.loads(x)["valid"] for x in (tmp_path / "v.jsonl").read_text().splitlines()] == [True, True, True, False]


def test_bad_input_is_one_line_naming_file_and_line(tmp_path):
    missing = _run("data", "check", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem_id": "x", "text": "t"}\n{oops\n')
    problems = tmp_path / "p.jsonl"
    _run("data", "generate", "--out", str(problems), "--n", "2")
    out = _run("verify", str(bad), "--problems", str(problems))
    assert out.returncode == 2 and f"{bad}:2" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    checked = _run("data", "check", str(bad))
    assert checked.returncode == 1 and "bad.jsonl:2" in checked.stdout
