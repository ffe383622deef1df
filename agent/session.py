"""Running a session: start or resume the graph on the workspace's SQLite checkpointer, answer each
gate (terminal, --yes, --decisions file) or pause with exit code 3, and keep the database small."""
from __future__ import annotations

import json
import re
import sys
import time
import uuid
from pathlib import Path

from langgraph.types import Command

from sokrates.io import DataError

from . import gates, graph
from .console import listening
from .llm import LLMSettings
from .session_log import SessionLog

EXIT_PAUSED = 3
EXIT_INTERRUPTED = 130


class Answerer:
    """Who answers a gate: a decisions file, --yes, or the human at a terminal (else: pause)."""

    def __init__(self, yes: bool = False, decisions: dict | None = None, choice: str | None = None,
                 interactive: bool | None = None, out=print):
        self.yes = yes
        self.decisions = {k: list(v) if isinstance(v, list) else [v] for k, v in (decisions or {}).items()}
        self.choice = choice  # the answer to the pending gate, given on the command line
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.out = out

    def automatic(self, q: dict) -> bool:
        """Whether `q` is answered without a person: --choice, the decisions file, or --yes."""
        return self.choice is not None or bool(self.decisions.get(q["gate"])) or self.yes

    def answer(self, q: dict) -> dict | None:
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        if self.choice is not None:
            choice, self.choice = self.choice, None
            return {"choice": choice, "who": "human (--choice)", "at": now}
        if self.decisions.get(q["gate"]):
            return {"choice": self.decisions[q["gate"]].pop(0), "who": "file", "at": now}
        if self.yes:
            return {"choice": q["recommended"], "who": "--yes", "at": now}
        if self.interactive:
            while True:
                raw = input(f"choice [{q['recommended']}]: ").strip() or q["recommended"]
                if raw in q["options"]:
                    return {"choice": raw, "who": "human", "at": now}
                self.out(f"  not an option; choose one of {', '.join(q['options'])}")
        return None


def load_decisions(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text()) if path.suffix == ".json" else _yaml(path)
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: cannot read decisions ({str(err).splitlines()[0]}). "
                        "Fix: a JSON/YAML mapping of gate name to choice, e.g. {\"sample\": \"proceed\"}.") from None
    if not isinstance(data, dict) or any(k not in gates.OPTIONS for k in data):
        raise DataError(f"{path}: decisions must map gate names ({', '.join(gates.OPTIONS)}) to choices.")
    return data


def _yaml(path: Path):
    import yaml
    return yaml.safe_load(path.read_text())


def new_session_id(goal: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", goal.lower()).strip("-")[:40] or "session"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}-{uuid.uuid4().hex[:4]}"


class Session:
    """`out` prints the session's own messages; with a `terminal` (agent.console.Terminal) step lines, gates and
    the summary are rendered through rich, else as plain lines through `out`. `verbose` leaves library output on
    the terminal instead of each step's log file."""

    def __init__(self, workspace: Path, out=print, terminal=None, verbose: bool = False):
        self.workspace = Path(workspace).resolve()
        self.out = terminal.print if terminal is not None else out
        self.terminal = terminal
        self.verbose = verbose
        self.timings: list[tuple[str, float]] = []  # (step, seconds) of the steps run by this process
        self.saver = graph.checkpointer(self.workspace)
        self.app = graph.build(self.saver)

    def config(self, session: str) -> dict:
        return {"configurable": {"thread_id": session, "verbose": self.verbose}}

    def start(self, goal: str, answerer: Answerer, llm: LLMSettings | None = None, run_id: str | None = None,
              base_config: dict | None = None, session: str | None = None) -> tuple[str, int]:
        session = session or new_session_id(goal)
        SessionLog.create(self.workspace, session, goal, base_config)
        state = {"session": session, "goal": goal, "workspace": str(self.workspace), "graph_version": graph.version(),
                 "llm": (llm or LLMSettings()).to_state(), "base_config": base_config or {}, "overrides": {},
                 "results": {}, "attempts": {}, "tried": {}, "decisions": [], "status": "running", "cursor": 0}
        if run_id:
            state["run_id"] = run_id
        self.out(f"session {session} (log: {SessionLog.open(self.workspace, session).path})")
        return session, self._drive(session, state, answerer)

    def resume(self, session: str, answerer: Answerer) -> int:
        snap = self.app.get_state(self.config(session))
        if not snap.values:
            raise DataError(f"no session {session!r} in {graph.db_path(self.workspace)}. Fix: `sokrates-agent status` lists them.")
        if snap.values.get("graph_version") != graph.version():
            raise DataError(f"session {session} was made by another version of the agent's graph "
                            f"({snap.values.get('graph_version')} != {graph.version()}); it cannot be resumed safely. "
                            "Fix: start a new session (finished steps are skipped through their manifests).")
        if not snap.next and not snap.tasks:
            self.out(f"session {session} is finished ({snap.values.get('status')})")
            return 0
        # Killed after a node's writes were saved and before the step's checkpoint, a session has a finished task and no
        # next node yet: driving it applies those writes (the node does not run again) and goes on.
        SessionLog.open(self.workspace, session).resumed(snap.next or tuple(t.name for t in snap.tasks))
        return self._drive(session, None, answerer)

    def _pending(self, session: str):
        snap = self.app.get_state(self.config(session))
        for task in snap.tasks:
            if task.interrupts:
                return task.interrupts[0].value
        return None

    def _drive(self, session: str, first_input, answerer: Answerer) -> int:
        cfg = self.config(session)
        payload = first_input
        if first_input is None and (q := self._pending(session)) is not None:
            payload = self._answer(session, q, answerer)
            if payload is None:
                return EXIT_PAUSED
        while True:
            try:
                with listening(self._show):
                    self.app.invoke(payload, cfg, durability="sync")
            except KeyboardInterrupt:
                if self.terminal is not None:
                    self.terminal.stop_spinner()
                return self._interrupted(session)
            finally:
                graph.prune(self.saver, session)
            q = self._pending(session)
            if q is None:
                values = self.app.get_state(cfg).values
                self._summary(session, values)
                return 0 if values.get("status") in ("done", "stopped") else 1
            payload = self._answer(session, q, answerer)
            if payload is None:
                return EXIT_PAUSED

    def _show(self, event: dict) -> None:
        if event["event"] == "end":
            self.timings.append((event["label"], event["seconds"]))
        if self.terminal is not None:
            self.terminal.event(event)
        elif event["event"] == "start":
            self.out(f"> {event['label']} (log: {event['log']})")
        elif event["event"] == "end":
            self.out(f"  {event['label']} done in {event['seconds']:.1f} s")
        elif event["event"] == "answer":
            self.out("\n".join([event["question"], *event["lines"]]))
        else:
            self.out(f"  {event['label']} failed: {event['error']} (log: {event['log']})")

    def _summary(self, session: str, values: dict) -> None:
        """At the end: what ran, the headline figures before -> after with intervals, where the outputs are."""
        from .summary import session_summary
        lines = session_summary(self.workspace, session, values, self.timings)
        if self.terminal is not None:
            self.terminal.summary(lines)
        else:
            self.out("\n".join(lines))

    def _interrupted(self, session: str) -> int:
        """Ctrl-C: say what was interrupted, that finished steps are kept, and how to go on; the log records it."""
        state = self.app.get_state(self.config(session))
        at = ", ".join(state.next) or "the end"
        SessionLog.open(self.workspace, session).warning(f"interrupted by the user (Ctrl-C) at {at}; finished steps "
                                                         "are kept")
        self.out(f"\ninterrupted at {at}: finished steps are kept. Continue with:\n  {resume_command(self.workspace, session)}")
        return EXIT_INTERRUPTED

    def _answer(self, session: str, q: dict, answerer: Answerer):
        automatic = answerer.automatic(q)
        if self.terminal is None:
            self.out(gates.render(q))
        elif not automatic:
            self.terminal.gate(q)  # the whole block when a person decides (or the session pauses for one)
        answer = answerer.answer(q)
        if answer is None:
            SessionLog.open(self.workspace, session).paused(q)
            self.out(f"paused at the {q['gate']} gate. Answer with:\n  {resume_command(self.workspace, session)} "
                     f"--choice {q['recommended']}   (options: {', '.join(q['options'])})")
            return None
        if answer["choice"] not in q["options"]:
            raise DataError(f"{answer['choice']!r} is not an option of the {q['gate']} gate. Fix: choose one of "
                            f"{', '.join(q['options'])}.")
        if self.terminal is not None and automatic:
            self.terminal.answered(q, answer)
        else:
            self.out(f"  -> {answer['choice']} ({answer['who']})")
        return Command(resume=answer)

    def abandon(self, session: str) -> None:
        """Forget a session that will not be resumed: its checkpoints go; its log (which records this) and the
        run's files stay."""
        if not self.app.get_state(self.config(session)).values:
            raise DataError(f"no session {session!r} in {graph.db_path(self.workspace)}. Fix: `sokrates-agent status` "
                            "lists them.")
        SessionLog.open(self.workspace, session).warning("abandoned by the user; finished steps and files are kept")
        self.saver.delete_thread(session)
        self.out(f"session {session} abandoned; its log and the run's files are kept")

    def status(self, everything: bool = False) -> list[dict]:
        """The sessions that can be resumed or looked at; with `everything`, abandoned ones too (from their logs)."""
        rows, threads = [], graph.threads(self.saver)
        if everything:
            for path in sorted((self.workspace / "sessions" / ".events").glob("*.json")):
                record = SessionLog.open(self.workspace, path.stem).record
                if path.stem not in threads and any("abandoned by the user" in e.get("text", "") for e in record["events"]):
                    rows.append({"session": path.stem, "goal": record.get("goal"), "run": record.get("run"),
                                 "status": "abandoned", "next": [], "question": None, "step": "-"})
        for thread in threads:
            snap = self.app.get_state(self.config(thread))
            v = snap.values
            pending = self._pending(thread)
            rows.append({"session": thread, "goal": v.get("goal"), "run": v.get("run_id"),
                         "status": "paused" if pending else (v.get("status") if not snap.next else "interrupted"),
                         "next": list(snap.next), "question": pending["question"] if pending else None,
                         "step": f"{v.get('cursor', 0)}/{len(v.get('plan', []))}"})
        return rows


def resume_command(workspace: Path, session: str) -> str:
    """The resume command for a session, runnable from any folder (the workspace as an absolute path)."""
    import shlex
    return f"sokrates-agent resume {session} -w {shlex.quote(str(Path(workspace).resolve()))}"

