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
        for f in findings:
            typer.echo(f.format(file))
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


def main() -> None:
    """Console entry point: bad input ends with one line naming the file and the fix, exit 2."""
    try:
        app()
    except (DataError, FileNotFoundError) as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted: outputs written so far are kept.", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
