import json
import subprocess
import sys

from tests.conftest import TINY


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


def test_impossible_generator_requests_are_one_line_errors(tmp_path):
    for args in (["--n", "-5"], ["--min-hops", "6", "--max-hops", "2"]):
        out = _run("data", "generate", "--out", str(tmp_path / "p.jsonl"), *args)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "Fix:" in out.stderr, args
    assert not (tmp_path / "p.jsonl").exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = _run("data", "generate", "--out", str(tmp_path / "p.jsonl"), "--source", str(empty), "--format", "sokrates")
    assert out.returncode == 2 and "no problems" in out.stderr
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"premises": ["All cats are animals."], "conclusion": "Tom is an animal.", "label": "True"}))
    out = _run("data", "generate", "--out", str(tmp_path / "p.jsonl"), "--source", str(one), "--format", "folio")
    assert out.returncode == 2 and "one JSON object" in out.stderr


def test_duplicate_problem_ids_are_an_error(tmp_path):
    problems = tmp_path / "p.jsonl"
    _run("data", "generate", "--out", str(problems), "--n", "4")
    lines = problems.read_text().splitlines()
    twin = json.loads(lines[2])
    twin["id"] = json.loads(lines[0])["id"]
    problems.write_text("\n".join([lines[0], lines[1], json.dumps(twin), lines[3]]) + "\n")
    out = _run("data", "check", str(problems))
    assert out.returncode == 1 and "duplicate_id" in out.stdout and "p.jsonl:3" in out.stdout


def test_loop_flags_win_over_the_config_file_and_a_bad_model_is_refused_before_saving(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("run_id: from_file\niterations: 5\ndata: {n_train: 8}\n")
    out = _run("loop", "-w", str(tmp_path / "ws"), "--config", str(config), "--run-id", "mine", "--model",
               str(tmp_path / "missing"))
    assert out.returncode == 2 and "not a model folder" in out.stderr and not (tmp_path / "ws").exists()
    out = _run("sft", "-w", str(tmp_path / "ws2"), "--model", str(tmp_path / "missing"))
    assert out.returncode == 2 and not (tmp_path / "ws2" / "runs" / "run1" / "config.yaml").exists()
    from sokrates.loop import Run
    # the flags reach the run (its loop stubbed out): --run-id names the folder, --iterations is saved in its config
    code = ("import sys; from sokrates.cli import app; sys.argv=['sokrates','loop','-w',sys.argv[1],'--config',sys.argv[2],"
            "'--run-id','mine','--iterations','0']; "
            "import sokrates.loop as L; L.Run.loop = lambda self, proceed=False: (self.save_config(), {})[1]; app()")
    assert subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws3"), str(config)]).returncode == 0
    saved = Run.open(tmp_path / "ws3", "mine").cfg
    assert saved.run_id == "mine" and saved.iterations == 0 and saved.data.n_train == 8  # the file's other settings kept
    # `sokrates sft --config` reads the same file (the shipped checkpoint's command); its flags win too
    out = _run("sft", "-w", str(tmp_path / "ws4"), "--config", str(TINY), "--run-id", "ck", "--epochs", "2")
    assert out.returncode == 0, out.stderr[-1500:]
    saved = Run.open(tmp_path / "ws4", "ck").cfg
    assert saved.sft.epochs == 2 and saved.data.n_train == 48 and (tmp_path / "ws4" / "runs" / "ck" / "sft" / "model").is_dir()


def test_missing_iteration_and_corrupt_model_config_say_what_is_wrong(tmp_path):
    from sokrates.loop import LoopConfig, Run
    Run(tmp_path, LoopConfig()).save_config()
    out = _run("eval", "-w", str(tmp_path), "--iteration", "99")
    assert out.returncode == 2 and "no model for iteration 99" in out.stderr and "tokenizer" not in out.stderr
    broken = tmp_path / "broken_model"
    broken.mkdir()
    (broken / "config.json").write_text("{oops")
    out = _run("sft", "-w", str(tmp_path / "ws"), "--model", str(broken))
    assert out.returncode == 2 and "config.json: not valid JSON" in out.stderr and "tokenizer" not in out.stderr


def test_binary_input_and_a_workspace_that_is_a_file_are_one_line_errors(tmp_path):
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00garbage")
    problems = tmp_path / "p.jsonl"
    _run("data", "generate", "--out", str(problems), "--n", "2")
    for args in (["data", "check", str(binary)], ["verify", str(binary), "--problems", str(problems)],
                 ["data", "generate", "--out", str(tmp_path / "o.jsonl"), "--source", str(binary)]):
        out = _run(*args)
        assert out.returncode == 2 and "not UTF-8 text" in out.stderr and "Traceback" not in out.stderr, args
    a_file = tmp_path / "ws_is_a_file"
    a_file.write_text("x")
    out = _run("loop", "-w", str(a_file))
    assert out.returncode == 2 and "Traceback" not in out.stderr and "writable folder" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_data_check_of_a_large_bad_file_shows_a_few_findings_of_each_kind_and_counts_the_rest(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n" * 40)
    out = _run("data", "check", str(bad))
    lines = out.stdout.strip().splitlines()
    assert out.returncode == 1 and len(lines) < 10, lines
    assert sum(line.startswith("ERROR malformed_json") for line in lines) == 5
    assert "... and 35 more malformed_json (every one: --json)" in lines
    findings = json.loads(_run("data", "check", str(bad), "--json").stdout)["findings"]
    assert sum(f["code"] == "malformed_json" for f in findings) == 40
