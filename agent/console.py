"""The terminal, through rich: one line when a step starts and one when it ends, a spinner with the step's latest
training figures while it runs, gates as a short block (question, evidence table, options with what each does,
the recommendation), the session summary, and session logs rendered for a terminal. Library output (warnings,
progress bars, trainer dicts) goes to the step's log file instead (`quiet`), never lost and never on screen
unless -v."""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


_listeners: list = []


def emit(event: dict) -> None:
    """A step's news (started, ended, failed) to whoever listens: the session driving the graph. (The graph runs
    its nodes in the caller's thread under invoke, so Ctrl-C reaches them and the checkpoint says where it stopped;
    LangGraph's custom stream would run them in a worker thread.)"""
    for listener in list(_listeners):
        listener(event)


@contextlib.contextmanager
def listening(listener):
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


@contextlib.contextmanager
def quiet(log_file: Path, verbose: bool = False):
    """Send everything written to stdout and stderr (Python warnings, tqdm bars, logging handlers, C libraries)
    to `log_file` while the block runs, at the file-descriptor level; with `verbose`, leave the terminal alone."""
    if verbose:
        yield
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_file, "a", encoding="utf-8") as fh:
        fh.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            tqdm = sys.modules.get("tqdm")
            for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):  # bars left open by Ctrl-C
                bar.close()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _figures(result: dict) -> str:
    """The key figures of a step's result, short: rates as values, counts as numbers."""
    parts = []
    for key, value in (result or {}).items():
        if isinstance(value, dict) and "value" in value:
            parts.append(f"{key} {value['value']:.3f}")
        elif isinstance(value, bool) or key in ("model", "stage", "n_problems", "wall_s"):
            continue
        elif isinstance(value, float):
            parts.append(f"{key} {value:.4g}")
        elif isinstance(value, (int, str)) and len(str(value)) < 40:
            parts.append(f"{key} {value}")
    return ", ".join(parts[:6])


class Terminal:
    """Where the session's own output goes: a rich Console on a copy of the terminal's stdout, so it stays visible
    while a step's library output is redirected to its log file."""

    def __init__(self, file=None):
        self.console = Console(file=file or os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1),
                               highlight=False)
        self._status = None
        self._stop = threading.Event()

    def print(self, *items, **kw) -> None:
        """Plain strings print as they are (no markup, no wrapping: a resume command stays copyable)."""
        if all(isinstance(i, str) for i in items):
            kw = {"markup": False, **kw}
        if all(isinstance(i, (str, Text)) for i in items):
            kw = {"soft_wrap": True, **kw}  # one logical line each: the terminal wraps it, a grep finds it
        self.console.print(*items, **kw)

    # ------------------------------------------------------------ steps
    def event(self, e: dict) -> None:
        """A node's stream event: a step started, ended or failed."""
        now = time.strftime("%H:%M:%S")
        if e["event"] == "start":
            self.print(Text.assemble((f"{now} ", "dim"), ("▶ ", "cyan"), (e["label"], "bold"),
                                     (f"  log: {e['log']}", "dim")))
            self._start_spinner(e)
        elif e["event"] == "end":
            self.stop_spinner()
            figures = _figures(e.get("result"))
            self.print(Text.assemble((f"{now} ", "dim"), ("✓ ", "green"), (e["label"], "bold"),
                                     f" done in {e['seconds']:.1f} s" + (f": {figures}" if figures else "")))
        elif e["event"] == "answer":
            self.print(Text.assemble(("? ", "cyan"), (e["question"], "bold")))
            for line in e["lines"]:
                self.print(Text("  " + LINK.sub(r"\1", line)))
        elif e["event"] == "failed":
            self.stop_spinner()
            self.print(Text.assemble((f"{now} ", "dim"), ("✗ ", "red"), (e["label"], "bold"),
                                     f" failed after {e['seconds']:.1f} s: {e['error']}", (f"  log: {e['log']}", "dim")))

    def _start_spinner(self, e: dict) -> None:
        """While a step runs on a terminal: a spinner with the elapsed time and its latest training figures."""
        if not self.console.is_terminal:
            return
        metrics = Path(e["metrics"]) if e.get("metrics") else None
        started = time.time()
        self._stop.clear()
        self._status = self.console.status(e["label"])
        self._status.start()

        def update():
            while not self._stop.wait(1.0):
                latest = _last_line(metrics)
                detail = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                   for k, v in latest.items() if k in ("step", "loss", "epoch", "rewards/accuracies"))
                self._status.update(f"{e['label']}  {time.time() - started:.0f} s" + (f"  ({detail})" if detail else ""))
        threading.Thread(target=update, daemon=True).start()

    def stop_spinner(self) -> None:
        self._stop.set()
        if self._status is not None:
            self._status.stop()
            self._status = None

    # ------------------------------------------------------------ gates and the end
    def gate(self, q: dict) -> None:
        table = Table(show_header=False, box=None, padding=(0, 1))
        for key, value in q["evidence"].items():
            text = ", ".join(map(str, value)) if isinstance(value, list) else \
                json.dumps(value) if isinstance(value, dict) else str(value)
            table.add_row(Text(key, style="dim"), Text(text))
        body = [Text(q["question"], style="bold"), table]
        body += [Text(f"! {w}", style="yellow") for w in q["warnings"]]
        for ex in [e for e in q["examples"] if e.partition("\n")[2].strip()][:1]:
            head, _, trace = ex.partition("\n")
            lines = trace.strip().splitlines()
            body.append(Text(f"example {head}\n  " + "\n  ".join(lines[:6]) + ("\n  ..." if len(lines) > 6 else ""),
                             style="dim"))
        options = Table(show_header=False, box=None, padding=(0, 1))
        for o in q["options"]:
            mark = "→" if o == q["recommended"] else " "
            options.add_row(Text(f"{mark} {o}", style="bold green" if o == q["recommended"] else ""),
                            Text(q.get("explain", {}).get(o, ""), style="dim"))
        body += [Text("options", style="dim"), options]
        self.print(Panel(Group(*body), title=f"{q['gate']} gate", title_align="left", expand=False))

    def answered(self, q: dict, answer: dict) -> None:
        """A gate answered without asking (--yes, a decisions file, --choice): the question, its warnings and the
        choice in a few lines; the evidence is in the session log."""
        mark = " (recommended)" if answer["choice"] == q["recommended"] else f" (recommended: {q['recommended']})"
        self.print(Text.assemble(("? ", "yellow"), (f"{q['gate']} gate: ", "bold"), q["question"]))
        for w in q["warnings"][:3]:
            self.print(Text(f"  ! {w}", style="yellow"))
        explain = q.get("explain", {}).get(answer["choice"])
        self.print(Text.assemble("  → ", (answer["choice"], "bold green"), f" by {answer['who']}{mark}",
                                 (f": {explain}" if explain else "", "dim")))

    def summary(self, lines: list[str]) -> None:
        self.print(Panel("\n".join(lines), title="session summary", title_align="left", expand=False))


def _last_line(path: Path | None) -> dict:
    if path is None or not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - 4000))
            last = fh.read().decode("utf-8", "replace").strip().splitlines()[-1]
        return json.loads(last)
    except (OSError, ValueError, IndexError):
        return {}


LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def render_markdown(text: str, console: Console | None = None) -> None:
    """A Markdown log for a terminal: links reduced to their text."""
    (console or Console()).print(Markdown(LINK.sub(r"\1", text)))
