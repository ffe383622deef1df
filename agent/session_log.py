"""The real-time Markdown session log (lesson 7): `sessions/YYYY-MM-DD-<goal-slug>.md` in the workspace,
rewritten atomically after every event from a JSON record of the events beside it, so `tail -f` shows the
session live, a crash loses nothing, and a resumed session continues the same log. Figures come from the
metrics files and link to them; secrets and home paths are redacted."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from sokrates.io import DataError, read_json, write_json, write_text
from sokrates.metrics import format_rate
from sokrates.pairs import METHOD_CHANGES

from .conclusions import next_steps, worked_and_didnt

SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD)", re.I)
SECRET_PATTERNS = [
    (re.compile(r"sk-[A-Za-z0-9_-]{8,}"), "sk-***"),
    (re.compile(r"(?i)\b(api[_-]?key|token|secret|password|access[_-]?token)=([^\s&\"']+)"), r"\1=***"),
    (re.compile(r"(://)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._-]{8,}"), r"\1***"),
]
COMMANDS = {"data": "sokrates sft -w . --run-id {run}  # data is prepared by the first step",
            "sft": "sokrates sft -w . --run-id {run}", "sample": "sokrates sample -w . --run-id {run} --iteration {k}",
            "check": "sokrates check -w . --run-id {run} --iteration {k}",
            "pairs": "sokrates dpo -w . --run-id {run} --iteration {k}",
            "dpo": "sokrates dpo -w . --run-id {run} --iteration {k}",
            "eval": "sokrates eval -w . --run-id {run} --iteration {k}",
            "compare": "sokrates eval -w . --run-id {run} --iteration {k}",
            "paper": "sokrates-agent draft -w .", "claims": "sokrates-agent check-paper paper/*.md --metrics runs"}


def redact_secrets(value):
    """Secret values (from the environment and by pattern) removed from a string, or from every string inside lists
    and dicts: applied to whatever is written to an event record or the checkpoint database."""
    if isinstance(value, dict):
        return {k: redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    if not isinstance(value, str):
        return value
    for name, secret in os.environ.items():
        if SECRET_ENV.search(name) and secret and len(secret) >= 6:
            value = value.replace(secret, "***")
    for pattern, repl in SECRET_PATTERNS:
        value = pattern.sub(repl, value)
    return value


def redact(text: str, workspace: Path | None = None) -> str:
    """Secrets removed (redact_secrets), and absolute home/workspace paths: for what a reader sees."""
    text = redact_secrets(text)
    if workspace is not None:
        text = text.replace(str(Path(workspace).resolve()) + os.sep, "").replace(str(Path(workspace).resolve()), ".")
    home = str(Path.home())
    if len(home) > 1:
        text = text.replace(home, "~")
    return text


def _slug(goal: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", goal.lower()).strip("-")[:50] or "session"


def _git(workspace: Path):
    try:
        import git
        return git.Repo(workspace, search_parent_directories=True)
    except Exception:  # noqa: BLE001 - not a repository, or git missing: the log says so
        return None



def step_label(step: dict) -> str:
    """A plan step or a logged step as people read it: "eval (iteration 1)", "paper"."""
    return step["step"] + (f" (iteration {step['iteration']})" if step.get("iteration") is not None else "")

class SessionLog:
    def __init__(self, workspace: Path, record_path: Path):
        self.workspace = Path(workspace)
        self.record_path = record_path
        self.record = read_json(record_path)

    # ------------------------------------------------------------ files
    @staticmethod
    def _records_dir(workspace: Path) -> Path:
        return Path(workspace) / "sessions" / ".events"

    @classmethod
    def create(cls, workspace: Path, session: str, goal: str, base_config: dict | None = None) -> "SessionLog":
        workspace = Path(workspace)
        records = cls._records_dir(workspace)
        record_path = records / f"{session}.json"
        if record_path.is_file():
            return cls(workspace, record_path)
        base = f"{time.strftime('%Y-%m-%d')}-{_slug(goal)}"
        taken = {read_json(p).get("file") for p in records.glob("*.json")} if records.is_dir() else set()
        name, n = f"{base}.md", 2
        while name in taken or (workspace / "sessions" / name).exists():  # two sessions never share a file
            name, n = f"{base}-{n}.md", n + 1
        repo = _git(workspace)
        commit = repo.head.commit.hexsha[:12] if repo is not None and repo.head.is_valid() else None
        record = {"session": session, "goal": goal, "file": name, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "git_commit": commit, "git_dirty": bool(repo.is_dirty(untracked_files=True)) if repo is not None else None,
                  "config": "from --config" if base_config else "defaults (LoopConfig)", "run": None, "model": None,
                  "events": []}
        write_json(record_path, record)
        log = cls(workspace, record_path)
        log._write()
        return log

    @classmethod
    def open(cls, workspace: Path, session: str) -> "SessionLog":
        if not SESSION_ID.fullmatch(session or ""):
            raise DataError(f"{session!r} is not a session id (letters, digits, '.', '_', '-'). Fix: copy it from "
                            "`sokrates-agent status`.")
        record = cls._records_dir(workspace) / f"{session}.json"
        if not record.is_file():
            raise DataError(f"{record}: no such session in {Path(workspace).resolve()}. Fix: see `sokrates-agent status "
                            "-w WS` for the sessions of a workspace.")
        return cls(workspace, record)

    @property
    def path(self) -> Path:
        """The Markdown log: always a file directly in WS/sessions, whatever the event record says."""
        name = str(self.record.get("file", ""))
        if not name.endswith(".md") or Path(name).name != name or name.startswith("."):
            raise DataError(f"{self.record_path}: the record names the log {name!r}, which is not a file name in "
                            "sessions/. Fix: restore the record's \"file\" to the log's own name.")
        return self.workspace / "sessions" / name

    def _add(self, kind: str, **fields) -> None:
        self.record["events"].append(redact_secrets({"kind": kind, "time": time.strftime("%H:%M:%S"), **fields}))
        write_json(self.record_path, self.record)
        self._write()

    def _link(self, path: str | Path) -> str:
        rel = os.path.relpath(Path(path).resolve(), self.path.parent.resolve())
        return f"[{Path(path).name}]({rel})"

    # ------------------------------------------------------------ events
    def planned(self, run_id: str, steps: list[dict], notes: list[str], source: str) -> None:
        self.record["run"] = run_id
        self.record["config_file"] = f"runs/{run_id}/config.yaml"
        self._add("plan", text=f"plan ({source}): " + " → ".join(step_label(s) for s in steps), notes=notes)

    def _done_at(self, at: int) -> bool:
        """Whether the log has a step done at this place of the current plan (events since the latest plan)."""
        for e in reversed(self.record["events"]):
            if e["kind"] == "plan":
                return False
            if e["kind"] == "step" and e.get("at") == at:
                return True
        return False

    def step_done(self, step: dict, result: dict, wall_s: float, at: int | None = None) -> None:
        """A finished step, with its figures and files. `at` is its place in the plan: a step the log already has as
        done there (the session was killed after the step finished and before the graph saved that) is noted as
        kept, not logged as done a second time; its manifest made the pipeline skip it."""
        from sokrates.loop import stage_name
        run = self.record.get("run")
        k = step.get("iteration")
        if at is not None and self._done_at(at):
            self._add("kept", text=f"{step_label(step)} had finished before the interruption: its outputs are kept, "
                                   "not made again")
            return
        figures, links = {}, []
        stage = self.workspace / "runs" / (run or "") / stage_name(k)
        source = {"eval": stage / "eval" / "summary.json", "check": stage / "check.json", "sft": stage / "summary.json",
                  "dpo": stage / "summary.json", "pairs": stage / "pairs.json",
                  "data": self.workspace / "runs" / (run or "") / "data" / "check.json",
                  "claims": Path(result["report"]) if "report" in result else None}.get(step["step"])
        rel = os.path.relpath(source.resolve(), self.path.parent.resolve()) if source and source.is_file() else None
        for m in ("accuracy", "step_validity", "trace_validity"):
            if isinstance(result.get(m), dict):
                figures[m] = format_rate(result[m], rel and (lambda f, t, m=m: f"[{t}]({rel}#{m}.{f})"))
        if step["step"] in ("eval", "check") and rel:
            figures.update(_diagnosis_figures(read_json(source), rel))
        for key in ("final_loss", "pairs", "examples", "train", "test", "errors", "n_samples", "verdict",
                    "problems_with_pairs", "verified", "mismatch", "unsupported", "from_checkpoint"):
            if key in result and result[key] is not None:
                value = round(result[key], 4) if isinstance(result[key], float) else result[key]
                figures[key] = f"[{value}]({rel}#{key})" if rel and isinstance(value, (int, float)) else value
        for candidate in {"sft": [stage / "summary.json", stage / "metrics.jsonl"], "dpo": [stage / "summary.json", stage / "metrics.jsonl"],
                          "eval": [stage / "eval" / "summary.json"], "check": [stage / "check.json", stage / "examples.md"],
                          "pairs": [stage / "pairs.json"], "sample": [stage / "samples.jsonl"],
                          "data": [self.workspace / "runs" / (run or "") / "data" / "check.json"],
                          "compare": [stage / "eval" / "summary.json"]}.get(step["step"], []):
            if candidate.exists():
                links.append(str(candidate))
        examples = None
        if step["step"] == "check" and (stage / "samples.jsonl").is_file():
            from sokrates.io import read_jsonl
            records = read_jsonl(stage / "samples.jsonl")
            examples = [r["text"].strip() for r in ([x for x in records if x["valid"]][:1] + [x for x in records if not x["valid"]][:1])]
        event = {"step": step["step"], "iteration": k, "at": at, "figures": figures, "links": links, "wall_s": round(wall_s, 1),
                 "command": COMMANDS.get(step["step"], "").format(run=run, k=k), "examples": examples,
                 "comparison": result.get("comparison")}
        kinds = result.get("kinds") or {}
        used = [f"{text} ({key})" for kind, (key, text) in METHOD_CHANGES.items() if kinds.get(kind)]
        if step["step"] == "pairs" and used:
            self.record["events"].append({"kind": "tradeoff", "time": time.strftime("%H:%M:%S"),
                                          "text": f"method change in DPO iteration {k}: " + "; ".join(used)})
        if step["step"] == "claims":
            for problem in result.get("problems", []):
                self.record["events"].append({"kind": "issue", "time": time.strftime("%H:%M:%S"),
                                              "text": f"claim check: {problem}"})
        if step["step"] == "check" and result.get("reasons"):
            for reason in result["reasons"]:
                self.record["events"].append({"kind": "issue", "time": time.strftime("%H:%M:%S"), "text": f"sample check ({k}): {reason}"})
        if step["step"] in ("sft", "dpo", "eval", "compare", "paper"):
            self._charts()
        self._add("step", **event)

    def failure(self, failure: dict) -> None:
        self._add("failure", text=f"{failure['step']['step']} failed (attempt {failure['attempts']}): {failure['error']} "
                                  f"at {failure['location']}")

    def decision(self, d: dict) -> None:
        self._add("decision", **d)

    def answer(self, question: str, lines: list[str]) -> None:
        """A question answered from the evidence: its lines, every number linked."""
        self._add("answer", text=f"answered {question!r}", notes=lines)

    def note(self, kind: str, text: str) -> None:
        self._add(kind, text=text)

    def warning(self, text: str) -> None:
        self._add("warning", text=text)

    def paused(self, q: dict) -> None:
        self._add("paused", text=f"waiting at the {q['gate']} gate: {q['question']}")

    def resumed(self, next_nodes) -> None:
        self._add("resumed", text=f"session resumed at {', '.join(next_nodes)}")

    def finished(self, status: str, state: dict) -> None:
        self._add("finished", text=f"session {status}", status=status, next=next_steps(self, status, state))
        from .llm import LLM, LLMSettings
        settings = LLMSettings.from_state(state.get("llm") or {})
        if settings.enabled:  # the LLM's reading of the whole session, every number checked; the rules' sections stay
            from .sections import draft_log_insight
            evidence = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", self.render())  # links reduced to their text
            warnings: list[str] = []
            insight = draft_log_insight(self.path, evidence, self.workspace, self.record.get("run"),
                                        LLM(settings, warn=warnings.append), warnings.append)
            self.record["insight"] = insight
            for text in warnings + ([] if insight else ["the LLM's analysis of the session failed; the rules' sections stand"]):
                self.warning(text)
            if insight:
                write_json(self.record_path, self.record)
                self._write()

    # ------------------------------------------------------------ charts
    def _charts(self) -> None:
        from .charts import loss_chart, metrics_chart
        run_dir = self.workspace / "runs" / (self.record.get("run") or "")
        stem = self.path.with_suffix("")
        made = []
        if loss_chart(run_dir, Path(f"{stem}-loss.png")):
            made.append(f"{stem.name}-loss.png")
        if metrics_chart(run_dir, Path(f"{stem}-metrics.png")):
            made.append(f"{stem.name}-metrics.png")
        self.record["charts"] = made

    # ------------------------------------------------------------ rendering
    def _files_changed(self) -> list[str]:
        repo = _git(self.workspace)
        if repo is None:
            return ["(the workspace is not a git repository)"]
        start = self.record.get("git_commit")
        try:
            lines = repo.git.diff("--name-status", start).splitlines() if start else []
            untracked = [f"A\t{p}" for p in repo.untracked_files]
        except Exception as err:  # noqa: BLE001
            return [f"(git failed: {err})"]
        top = Path(repo.working_tree_dir).resolve()
        out = []
        for line in lines + untracked:
            status, _, name = line.partition("\t")
            path = top / name
            try:
                rel = path.relative_to(self.workspace.resolve())
            except ValueError:
                continue
            if str(rel).startswith(("sessions/", ".sokrates/")):
                continue
            out.append(f"{ {'A': 'added', 'M': 'modified', 'D': 'deleted'}.get(status[:1], status)} `{rel}`")
        return out or ["(no tracked changes in the workspace)"]

    def render(self) -> str:
        r = self.record
        ev = r["events"]
        header = [f"# Session: {r['goal']}", "",
                  f"- **Goal:** {r['goal']}", f"- **Session:** `{r['session']}`", f"- **Started:** {r['started']}",
                  f"- **Git:** {r['git_commit'] or 'no commit'}{' (dirty)' if r['git_dirty'] else ''}" if r["git_commit"] is not None
                  else "- **Git:** not a git repository",
                  f"- **Run:** {r.get('run') or '(planning)'}", f"- **Model:** {r.get('model') or '(not chosen yet)'}",
                  f"- **Config:** {r.get('config_file') or r['config']}",
                  f"- **Resume:** `sokrates-agent resume {r['session']}`", ""]
        timeline = ["## Timeline", ""]
        for e in ev:
            if e["kind"] == "step":
                figs = "; ".join(f"{k} {v}" for k, v in e["figures"].items())
                timeline.append(f"- {e['time']} **{step_label(e)}** done in {e['wall_s']} s" + (f": {figs}" if figs else ""))
                if e.get("comparison"):
                    for m, c in e["comparison"].items():
                        timeline.append(f"  - {m}: {c['before']:.3f} → {c['after']:.3f} ({c['change']:+.3f}; "
                                        f"intervals {'overlap' if c['intervals_overlap'] else 'do not overlap'})")
                if e["links"]:
                    timeline.append("  - files: " + ", ".join(self._link(p) for p in e["links"]))
                if e["command"]:
                    timeline.append(f"  - reproduce: `{e['command']}`")
                for text in e.get("examples") or []:
                    timeline += ["", "  ```", *[f"  {line}" for line in text.splitlines()], "  ```"]
            elif e["kind"] in ("plan", "failure", "paused", "resumed", "kept", "finished", "warning", "decision", "answer"):
                text = e.get("text") or f"{e['gate']} gate → **{e['choice']}** ({e['who']})"
                timeline.append(f"- {e['time']} {e['kind']}: {text}")
                for note in e.get("notes", []):
                    timeline.append(f"  - {note}")
        charts = [f"![{c}]({c})" for c in r.get("charts", [])]
        worked, didnt = worked_and_didnt(ev)
        issues = [e["text"] for e in ev if e["kind"] in ("issue", "warning")]
        decisions = [f"- **{e['gate']}** ({e['at']}): {e['question']} Options: {', '.join(e['options'])}; "
                     f"recommended {e['recommended']}; chose **{e['choice']}** ({e['who']})" for e in ev if e["kind"] == "decision"]
        tradeoffs = [e["text"] for e in ev if e["kind"] == "tradeoff"]
        finished = [e for e in ev if e["kind"] == "finished"]
        nxt = finished[-1]["next"] if finished else ["(session in progress)"]

        def section(title, items, bullet=True):
            return [f"## {title}", "", *([f"- {i}" for i in items] if bullet else items or []),
                    *(["- (none)"] if not items else []), ""]
        insight = (["## Analysis (drafted by the LLM from this log; every number checked against the metrics)", "",
                    r["insight"].replace("### ", "#### "), ""] if r.get("insight") else [])
        parts = header + timeline + [""] + (["## Charts", "", *charts, ""] if charts else []) + insight + \
            section("What worked", worked) + section("What didn't", didnt) + section("Issues found", issues) + \
            section("Decisions", decisions, bullet=False) + section("Trade-offs", tradeoffs) + \
            section("Files changed", self._files_changed()) + section("Next steps", nxt)
        return redact("\n".join(parts), self.workspace)

    def _write(self) -> None:
        cfg = self.workspace / (self.record.get("config_file") or "-")
        if not self.record.get("model") and cfg.is_file():  # a new run's config exists once its first step ran
            import yaml
            self.record["model"] = (yaml.safe_load(cfg.read_text()) or {}).get("model") or "embedded tiny Llama"
        write_text(self.path, self.render())


def _diagnosis_figures(summary: dict, rel: str) -> dict:
    """Local step validity and the commonest causes of traces' first errors (counts), each number linked to its key."""
    d = summary.get("diagnosis")
    if not d:
        return {}
    from sokrates.causes import ranked_causes
    top = ranked_causes(d)
    return {"local_step_validity": format_rate(d["local_step_validity"],
                                                lambda f, t: f"[{t}]({rel}#diagnosis.local_step_validity.{f})"),
            "first_errors": ", ".join(f"{c} [{n}]({rel}#diagnosis.first_error_causes.{c})" for c, n in top) or "none"}

