"""`sokrates-agent`: the research assistant's command line."""
from __future__ import annotations

import typer

app = typer.Typer(help="SOKRATES Agent: runs the SOKRATES loop, asks at branch points, keeps the session log.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.command()
def start(goal: str = typer.Argument(..., help='What to do, e.g. "run iteration 2".')):
    """Start a session towards a goal (the agent lands in a later issue)."""
    typer.echo(f"sokrates-agent is not built yet; the goal {goal!r} was not run. Use `sokrates loop` meanwhile.")
    raise typer.Exit(1)


def main() -> None:
    app()
