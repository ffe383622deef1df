"""`sokrates-agent`: the research assistant's command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from sokrates.io import DataError

app = typer.Typer(help="SOKRATES Agent: runs the SOKRATES loop, asks at branch points, keeps the session log "
                       "and checks the paper's numbers.", no_args_is_help=True, pretty_exceptions_enable=False,
                  add_completion=False)

WORKSPACE = typer.Option(Path("."), "--workspace", "-w", help="The research workspace (runs/, sessions/, paper/).")
YES = typer.Option(False, "--yes", "-y", help="Take the recommended choice at every branch point.")
DECISIONS = typer.Option(None, "--decisions", help="JSON/YAML file answering named gates, e.g. {\"sample\": \"proceed\"}.")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Show library output (warnings, progress bars) on the terminal "
                                                     "too; by default it goes to runs/<run>/logs/<step>.log.")


def _session(workspace: Path, verbose: bool = False):
    from .console import Terminal
    from .session import Session
    return Session(workspace, terminal=Terminal(), verbose=verbose)


@app.command()
def start(goal: str = typer.Argument(..., help='What to do, e.g. "run iteration 2", "evaluate iteration 1", '
                                          '"draft the results section", "check the paper", "start a new run with temperature 0.7".'),
          workspace: Path = WORKSPACE, yes: bool = YES, decisions: Optional[Path] = DECISIONS,
          run_id: Optional[str] = typer.Option(None, help="The run to work on (default: the latest)."),
          config: Optional[Path] = typer.Option(None, help="YAML LoopConfig for a new run (sizes, settings)."),
          llm_base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible endpoint (else OPENAI_BASE_URL)."),
          llm_model: Optional[str] = typer.Option(None, help="Model name at the endpoint (else SOKRATES_LLM_MODEL)."),
          verbose: bool = VERBOSE):
    """Plan the goal from the workspace's state, show the plan for approval, and run it."""
    from .llm import LLMSettings
    from .session import Answerer, load_decisions
    base = None
    if config is not None:
        from sokrates.loop import LoopConfig
        base = LoopConfig.from_file(config).to_dict()
    answerer = Answerer(yes=yes, decisions=load_decisions(decisions))
    llm = LLMSettings.resolve(llm_base_url, llm_model)
    if not llm.enabled:  # the rules alone decide: refuse a goal they cannot read before a session is created
        from .planner import intents_from_rules, not_understood, readings_of
        if intents_from_rules(goal) is None and not readings_of(goal):
            raise DataError(f"{not_understood(goal)}; or configure an LLM (--llm-base-url) to read goals in your own "
                            "words.")
    _, code = _session(workspace, verbose).start(goal, answerer, llm, run_id, base)
    raise typer.Exit(code)


@app.command()
def resume(session: str = typer.Argument(..., help="The session id (see `sokrates-agent status`)."),
           workspace: Path = WORKSPACE, choice: Optional[str] = typer.Option(None, help="Answer to the pending question."),
           yes: bool = YES, decisions: Optional[Path] = DECISIONS, verbose: bool = VERBOSE):
    """Continue a paused, interrupted or crashed session where it stopped; finished steps are not re-run."""
    from .graph import db_path
    from .session import Answerer, load_decisions
    if not db_path(workspace).is_file():  # never create a workspace as a side effect of a failed lookup
        raise DataError(f"{Path(workspace).resolve()}: no agent sessions here (no {db_path(Path('.'))}). Fix: pass the "
                        "session's workspace with -w (the pause message prints the full command).")
    code = _session(workspace, verbose).resume(session, Answerer(yes=yes, decisions=load_decisions(decisions), choice=choice))
    raise typer.Exit(code)


@app.command()
def status(workspace: Path = WORKSPACE, as_json: bool = typer.Option(False, "--json"),
           everything: bool = typer.Option(False, "--all", help="Abandoned sessions too.")):
    """List sessions with their state and pending question."""
    rows = _session(workspace).status(everything)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no sessions yet")
    for r in rows:
        typer.echo(f"{r['session']}  {r['status']:<11} run {r['run']}  step {r['step']}  goal {r['goal']!r}"
                   + (f"\n    waiting: {r['question']}" if r["question"] else ""))


@app.command()
def abandon(session: str = typer.Argument(..., help="The session id (see `sokrates-agent status`)."),
            workspace: Path = WORKSPACE):
    """Forget a paused or interrupted session you will not resume (its log and the run's files are kept)."""
    from .graph import db_path
    if not db_path(workspace).is_file():
        raise DataError(f"{Path(workspace).resolve()}: no agent sessions here. Fix: pass the workspace with -w.")
    _session(workspace).abandon(session)


@app.command()
def graph():
    """Print the agent's graph as Mermaid."""
    from .graph import mermaid
    typer.echo(mermaid())


@app.command()
def log(session: Optional[str] = typer.Argument(None, help="Session id (default: the latest)."), workspace: Path = WORKSPACE,
        raw: bool = typer.Option(False, "--raw", help="The Markdown source, links and all.")):
    """Print a session's log, rendered for a terminal (links reduced to their text) unless --raw."""
    from .session_log import SessionLog
    text = SessionLog.open(workspace, _latest(workspace, session)).path.read_text()
    if raw:
        typer.echo(text)
    else:
        from .console import render_markdown
        render_markdown(text)


@app.command()
def context(session: Optional[str] = typer.Argument(None, help="Session id (default: the latest)."), workspace: Path = WORKSPACE):
    """A debugging brief (symptoms, code locations, what was tried, figures) to paste to a colleague or an LLM."""
    from .brief import brief
    typer.echo(brief(workspace, _latest(workspace, session)))


def _latest(workspace: Path, session: str | None) -> str:
    if session:
        return session
    records = sorted((Path(workspace) / "sessions" / ".events").glob("*.json"), key=lambda p: p.stat().st_mtime)
    if not records:
        raise DataError(f"{workspace}/sessions: no session logs yet. Fix: `sokrates-agent start \"run iteration 1\"`.")
    typer.echo(f"(session {records[-1].stem}, the latest of {len(records)}; name another as the argument)", err=True)
    return records[-1].stem


@app.command()
def draft(workspace: Path = WORKSPACE, run_id: Optional[str] = typer.Option(None, help="Default: the latest run."),
          out: Optional[Path] = typer.Option(None, help="Default: paper/results.md"),
          diff: bool = typer.Option(False, "--diff", help="Then show what changed since the last version, text and numbers."),
          llm_base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible endpoint (else OPENAI_BASE_URL): "
                                                     "also draft paper/sections.md, every number checked."),
          llm_model: Optional[str] = typer.Option(None, help="Model name at the endpoint (else SOKRATES_LLM_MODEL).")):
    """Write or update the results section (tables with provenance, narrative, limitations) and its LaTeX table; with
    an LLM, also the paper's sections (method, setup, results, analysis, limitations) in paper/sections.md, each
    number verified and linked, repaired once, or marked [unverified: ...]. A changed draft is kept as
    paper/versions/<name>-NNN.md with its claims report."""
    from .llm import LLM, LLMSettings
    from .paper import draft_results, version_diff
    from .planner import runs_in
    from .sections import draft_sections
    rid = run_id or (runs_in(workspace) or [None])[-1]
    if rid is None:
        raise DataError(f"{workspace}/runs: no runs yet. Fix: run the loop first.")
    path = draft_results(workspace, rid, out)
    typer.echo(f"wrote {path}")
    written = [path]
    settings = LLMSettings.resolve(llm_base_url, llm_model)
    if settings.enabled:
        warn = lambda m: typer.echo(f"warning: {m}", err=True)  # noqa: E731
        sections = draft_sections(workspace, rid, LLM(settings, warn=warn), warn, path.parent / "sections.md")
        if sections:
            typer.echo(f"wrote {sections}")
            written.append(sections)
    if diff:
        for p in written:
            typer.echo(version_diff(p.parent, p.stem))


@app.command("check-paper")
def check_paper(paths: list[Path] = typer.Argument(..., help="Markdown (.md) or LaTeX (.tex) drafts, or folders of them."),
                metrics: Path = typer.Option(..., "--metrics", help="Folder of metrics files (e.g. the workspace's runs/)."),
                as_json: bool = typer.Option(False, "--json", help="Machine-readable report."),
                fmt: str = typer.Option("text", "--format", help="text (one line per claim) or markdown (a table per "
                                        "file, mismatches first)."),
                submission: bool = typer.Option(False, "--submission", help="Also run the submission checks."),
                abstract_limit: int = typer.Option(1000, help="Character limit of the TL;DR / abstract (with --submission)."),
                bib: Optional[Path] = typer.Option(None, help="Bibliography file for the year/arXiv check.")):
    """Verify every quantitative claim against the metrics files. Exit 0 all verified, 1 otherwise, 2 bad input."""
    from .claims import check_paths, draft_files, format_report
    paths = draft_files(paths)
    report = check_paths(paths, metrics)
    for bad in report["unreadable"]:
        typer.echo(f"warning: skipped unreadable metrics file {bad}", err=True)
    problems = []
    if submission:
        from .submission import submission_checks
        problems = submission_checks(paths, abstract_limit, bib)
    if as_json:
        typer.echo(json.dumps({"claims": report["claims"], "summary": report["summary"],
                               "unreadable": report["unreadable"], "notes": report["notes"],
                               **({"submission": problems} if submission else {})}, indent=2))
    else:
        typer.echo(format_report(report, fmt))
        for p in problems:
            typer.echo(f"SUBMISSION {p}")
    bad = report["summary"]["mismatch"] + report["summary"]["unsupported"] + len(problems)
    raise typer.Exit(1 if bad else 0)


def main() -> None:
    try:
        app()
    except (DataError, FileNotFoundError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except OSError as err:  # a path that is a file, a read-only folder, a full disk: earlier outputs are intact
        where = f"{err.filename}: " if err.filename else ""
        typer.echo(f"error: {where}{err.strerror or err}. Fix: check that the path is a writable folder with free space; "
                   "finished steps are kept and a re-run continues from them.", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("\ninterrupted: finished steps are saved; continue with `sokrates-agent resume SESSION` "
                   "(`sokrates-agent status` lists sessions).", err=True)
        sys.exit(130)
