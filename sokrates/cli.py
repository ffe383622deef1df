"""`sokrates`: the research pipeline's command line. Each command is a thin call into the library."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .io import DataError, read_jsonl, write_jsonl

app = typer.Typer(help="SOKRATES research pipeline: problems, optionized traces, solver, training and evaluation.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
data_app = typer.Typer(help="Generate, load and check problem data.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("generate")
def data_generate(
    out: Path = typer.Option(..., help="Where to write the processed problems (JSONL, docs/schema.md)."),
    n: int = typer.Option(1000, help="Number of problems."),
    seed: int = typer.Option(0, help="Seed of the problem stream: same seed, same problems."),
    min_hops: int = typer.Option(1, help="Fewest rule applications in a proof."),
    max_hops: int = typer.Option(5, help="Most rule applications in a proof (chain problems)."),
    tollens_ratio: float = typer.Option(0.15, help="Share of problems proved backwards with MODUS_TOLLENS."),
    and_ratio: float = typer.Option(0.15, help="Share of problems whose given fact is a conjunction."),
    unknown_ratio: float = typer.Option(0.0, help="Share of problems whose answer is Unknown."),
    source: Optional[Path] = typer.Option(None, help="Convert a local PrOntoQA/FOLIO file instead of generating."),
    fmt: str = typer.Option("auto", "--format", help="Format of --source: auto, sokrates, prontoqa or folio."),
):
    """Write a seeded PrOntoQA-style problem set, with a gold optionized proof for each problem."""
    from .problems import GeneratorConfig, generate, load_problems, write_problems
    if source is not None:
        problems = load_problems(source, fmt)
    else:
        problems = generate(GeneratorConfig(n, seed, min_hops, max_hops, tollens_ratio, and_ratio, unknown_ratio))
    write_problems(out, problems)
    labels = {lab: sum(p.label == lab for p in problems) for lab in ("True", "False", "Unknown")}
    typer.echo(f"wrote {len(problems)} problems to {out} (labels {labels}, "
               f"{sum(not p.verifiable for p in problems)} unverifiable)")


SHOWN_PER_KIND = 5  # `data check` prints this many findings of each kind, then their count


@data_app.command("check")
def data_check(
    file: Path = typer.Argument(..., help="A problems JSONL file or a prompt/completion JSONL file."),
    template: str = typer.Option("solve_compact", help="Prompt template (prompts/NAME.txt) the model trains with."),
    tokenizer: Optional[Path] = typer.Option(None, help="A local model/tokenizer folder, to check for truncation."),
    max_length: int = typer.Option(1024, help="Token limit of training examples (with --tokenizer)."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
):
    """Catch what broke the original research's data: wrong fields, trivial or truncated targets,
    missing Thought lines, hard-coded indices, duplicates, label imbalance. Exit 1 on errors."""
    from .data_check import check_file, findings_to_json
    tok = None
    if tokenizer is not None:
        from .model import load_tokenizer
        tok = load_tokenizer(tokenizer)
    findings = check_file(file, template, tok, max_length if tok else None)
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        typer.echo(json.dumps({"file": str(file), "findings": findings_to_json(findings)}, indent=2))
    else:
        from collections import Counter
        shown: Counter = Counter()
        for f in findings:  # a large file can have thousands of one kind: the first few of each kind, then a count
            shown[f.code] += 1
            if shown[f.code] <= SHOWN_PER_KIND:
                typer.echo(f.format(file))
        for code, n in shown.items():
            if n > SHOWN_PER_KIND:
                typer.echo(f"... and {n - SHOWN_PER_KIND} more {code} (every one: --json)")
        typer.echo(f"{file}: {errors} error(s), {len(findings) - errors} warning(s)")
    raise typer.Exit(1 if errors else 0)


@app.command("verify")
def verify(
    traces: Path = typer.Argument(..., help="JSONL of traces: {'problem_id', 'text'} per line (samples.jsonl works)."),
    problems: Path = typer.Option(..., help="The problems file the traces answer."),
    out: Optional[Path] = typer.Option(None, help="Write each trace with its step verdicts here (JSONL)."),
):
    """Check every step of every trace with the symbolic solver and print the verdicts."""
    from .problems import load_problems
    from .solver import verify_text
    by_id = {p.id: p for p in load_problems(problems)}
    records = read_jsonl(traces)
    results = []
    for rec in records:
        pid, text = rec.get("problem_id"), rec.get("text")
        if pid not in by_id or not isinstance(text, str):
            raise DataError(f"{traces}:{rec['_line']}: needs 'problem_id' (one of {problems}) and 'text'. "
                            "Fix: write one {\"problem_id\", \"text\"} object per line.")
        result = verify_text(by_id[pid], text)
        results.append({"problem_id": pid, "text": text, **result.to_dict()})
        first_bad = next((f"step {i}: {s.reason}" for i, s in enumerate(result.steps) if not s.valid), "")
        typer.echo(f"{traces}:{rec['_line']} {pid}: {'VALID' if result.valid else 'INVALID'} "
                   f"({result.n_valid_steps}/{len(result.steps)} steps valid, answer {result.label}) {first_bad}")
    valid = sum(r["valid"] for r in results)
    typer.echo(f"{valid}/{len(results)} traces valid")
    if out:
        write_jsonl(out, results)


model_app = typer.Typer(help="Create the embedded default model.", no_args_is_help=True)
app.add_typer(model_app, name="model")

WORKSPACE = typer.Option(Path("."), "--workspace", "-w", help="The research workspace (holds runs/).")
RUN_ID = typer.Option("run1", "--run-id", help="The run folder under runs/.")


def _run(workspace: Path, run_id: str, create: bool = False, settings: dict | None = None):
    """Open a run (its config.yaml), or create it with defaults; dotted `settings` given on the command line win."""
    from .loop import LoopConfig, Run
    config = workspace / "runs" / run_id / "config.yaml"
    if config.is_file():
        run = Run.open(workspace, run_id)
    elif create:
        run = Run(workspace, LoopConfig(run_id=run_id))
    else:
        raise DataError(f"{config}: no such run. Fix: start it with `sokrates loop --run-id {run_id}`.")
    run.update(settings or {})
    return run


def _configured_run(workspace: Path, run_id: str | None, config: Path | None, flags: dict, model: Path | None):
    """The run a step command works on: from --config (a YAML LoopConfig) when given, else the run's own config or the
    defaults; flags given on the command line win over both. A model folder is checked before anything is saved."""
    from dataclasses import replace

    from .loop import LoopConfig, Run
    if model is not None:
        from .model import check_model_dir
        check_model_dir(model)
    if config is None:
        return _run(workspace, run_id or "run1", create=True, settings=flags)
    cfg = LoopConfig.from_file(config)
    run = Run(workspace, replace(cfg, run_id=run_id or cfg.run_id))
    run.update(flags)
    return run


@model_app.command("init")
def model_init(out: Path = typer.Option(..., help="Folder for the new model and tokenizer."),
               hidden_size: int = 128, layers: int = 3, heads: int = 4, seed: int = 0):
    """Create the embedded default: a small randomly initialised Llama and a BPE tokenizer built
    from the generator's vocabulary, saved with save_pretrained."""
    from .model import TinyModelConfig, init_tiny_model
    init_tiny_model(out, TinyModelConfig(hidden_size=hidden_size, layers=layers, heads=heads, seed=seed))
    typer.echo(f"wrote {out}")


@app.command("sft")
def sft(workspace: Path = WORKSPACE, run_id: Optional[str] = typer.Option(None, "--run-id", help="The run folder "
                                                                          "under runs/ (default: the config's, else run1)."),
        model: Optional[Path] = typer.Option(None, help="A local model folder (default: the embedded tiny model)."),
        config: Optional[Path] = typer.Option(None, help="A YAML config for a new run (see runs/<id>/config.yaml)."),
        epochs: Optional[float] = None, learning_rate: Optional[float] = None):
    """Prepare data (when missing) and fine-tune on gold traces with TRL's SFTTrainer."""
    run = _configured_run(workspace, run_id, config, {"model": str(model) if model else None, "sft.epochs": epochs,
                                                      "sft.learning_rate": learning_rate}, model)
    run.save_config()
    run.base_model()
    run.data()
    typer.echo(json.dumps(run.sft(), indent=2))


@app.command("sample")
def sample(workspace: Path = WORKSPACE, run_id: str = RUN_ID,
           iteration: int = typer.Option(1, help="Sample for DPO iteration k, from the model of iteration k-1."),
           backend: Optional[str] = typer.Option(None, help="hf, hf_continuous, vllm or openai."),
           base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible server, e.g. http://localhost:8000/v1."),
           temperature: Optional[float] = None, samples_per_problem: Optional[int] = None):
    """Sample traces on training problems and verify every step."""
    run = _run(workspace, run_id, settings={"sample.backend": backend, "sample.base_url": base_url,
                                            "sample.temperature": temperature,
                                            "sample.samples_per_problem": samples_per_problem})
    run.save_config()
    typer.echo(json.dumps(run.sample(iteration), indent=2))


@app.command("check")
def check(workspace: Path = WORKSPACE, run_id: str = RUN_ID, iteration: int = 1):
    """The sample check: format, degenerate output, diversity, validity, verifier gaming. Exit 1 on fail."""
    report = _run(workspace, run_id).check(iteration)
    typer.echo(json.dumps({k: report[k] for k in ("verdict", "reasons", "format_validity", "degenerate",
                                                  "distinct_traces_per_problem", "gaming")}, indent=2))
    raise typer.Exit(1 if report["verdict"] == "fail" else 0)


@app.command("dpo")
def dpo(workspace: Path = WORKSPACE, run_id: str = RUN_ID, iteration: int = 1,
        proceed: bool = typer.Option(False, help="Train even though the sample check failed.")):
    """Build preference pairs from the verified samples and train with TRL's DPOTrainer."""
    run = _run(workspace, run_id)
    report = run.check(iteration)
    if report["verdict"] == "fail" and not proceed:
        raise DataError(f"{run.stage_dir(f'dpo_iter{iteration}') / 'check.json'}: the sample check failed "
                        f"({'; '.join(report['reasons'])}). Fix: inspect examples.md, or pass --proceed.")
    typer.echo(json.dumps(run.pairs(iteration), indent=2))
    typer.echo(json.dumps({k: v for k, v in run.dpo(iteration).items() if k != "settings"}, indent=2))


@app.command("eval")
def evaluate(workspace: Path = WORKSPACE, run_id: str = RUN_ID,
             iteration: int = typer.Option(0, help="0: the SFT model; k: after DPO iteration k.")):
    """Accuracy, step validity and trace validity on the test set, with Wilson 95% intervals."""
    summary = _run(workspace, run_id).evaluate(iteration)
    typer.echo(_figures(summary))


def _figures(summary: dict) -> str:
    from .metrics import format_rate as one
    return (f"{summary['stage']}: accuracy {one(summary['accuracy'])}, step validity {one(summary['step_validity'])}, "
            f"trace validity {one(summary['trace_validity'])}")


@app.command("loop")
def loop(workspace: Path = WORKSPACE,
         run_id: Optional[str] = typer.Option(None, "--run-id", help="The run folder under runs/ (default: the "
                                                                      "config's run_id, else run1)."),
         model: Optional[Path] = typer.Option(None, help="A local model folder (default: the embedded tiny model)."),
         iterations: Optional[int] = typer.Option(None, help="DPO iterations."),
         config: Optional[Path] = typer.Option(None, help="A YAML config (see runs/<id>/config.yaml)."),
         proceed: bool = typer.Option(False, help="Go on past a failed data or sample check."),
         ):
    """The whole loop: data -> SFT -> eval -> (sample -> check -> pairs -> DPO -> eval) x iterations.
    Finished steps are skipped on a re-run. Flags given on the command line win over --config."""
    from .loop import GateStop
    run = _configured_run(workspace, run_id, config, {"model": str(model) if model else None,
                                                      "iterations": iterations}, model)
    try:
        results = run.loop(proceed=proceed)
    except GateStop as stop:
        typer.echo(f"stopped: {stop}", err=True)
        raise typer.Exit(3) from None
    for summary in results.values():
        typer.echo(_figures(summary))


def main() -> None:
    """Console entry point: bad input ends with one line naming the file and the fix, exit 2."""
    try:
        app()
    except (DataError, FileNotFoundError) as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except OSError as err:  # a path that is a file, a read-only folder, a full disk: earlier outputs are intact
        where = f"{err.filename}: " if err.filename else ""
        typer.echo(f"error: {where}{err.strerror or err}. Fix: check that the path is a writable folder with free space; "
                   "finished steps are kept and a re-run continues from them.", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted: outputs written so far are kept.", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
