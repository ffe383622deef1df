"""Graph nodes. Each pipeline node is a thin call into `sokrates.loop.Run` (which skips finished work
through its manifests); each gate is its own node whose first action is interrupt(). Nodes return
JSON values only: paths, ids, numbers, text."""
from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from langgraph.types import interrupt

from sokrates.io import read_json, write_json
from sokrates.loop import LoopConfig, Run, stage_name
from sokrates.metrics import intervals_overlap

from . import gates
from .session_log import SessionLog, redact_secrets, step_label


# ---------------------------------------------------------------- helpers

def open_run(state: dict) -> Run:
    """The run of this session: its config.yaml, or a new one from the session's base config and overrides."""
    workspace = Path(state["workspace"])
    path = workspace / "runs" / state["run_id"] / "config.yaml"
    if path.is_file():
        return Run.open(workspace, state["run_id"], log=lambda m: None)
    cfg = LoopConfig.from_dict({**state.get("base_config", {}), "run_id": state["run_id"]})
    run = Run(workspace, cfg, log=lambda m: None)
    run.save_config()
    run.update(state.get("overrides", {}))
    return run


def log_of(state: dict) -> SessionLog:
    return SessionLog.open(Path(state["workspace"]), state["session"])


def current(state: dict) -> dict:
    return state["plan"][state["cursor"]]


def _location(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if "/sokrates/" in f.filename or "/agent/" in f.filename] or frames
    f = ours[-1] if ours else None
    return f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno} in {f.name}" if f else "unknown"


def _execute(state: dict, work) -> dict:
    """Run one plan step; on success advance the cursor, on error record the failure for its gate. The terminal
    hears of its start and end (console.emit); the step's library output goes to
    runs/<run>/logs/<step>.log (all of it on the terminal with -v)."""
    from langgraph.config import get_config

    from .console import emit, quiet
    step = current(state)
    log = log_of(state)
    key = f"{step['step']}:{step.get('iteration', '')}"
    label = step_label(step)
    run_dir = Path(state["workspace"]) / "runs" / state["run_id"]
    step_log = run_dir / "logs" / f"{step['step']}{'-' + str(step['iteration']) if 'iteration' in step else ''}.log"
    shown = os.path.relpath(step_log, Path(state["workspace"]))
    try:
        verbose = bool(get_config().get("configurable", {}).get("verbose"))
    except RuntimeError:  # called outside a graph (tests call nodes directly)
        verbose = False
    started = time.time()
    emit({"event": "start", "label": label, "log": shown,
          "metrics": str(run_dir / stage_name(step.get("iteration")) / "metrics.jsonl") if step["step"] in ("sft", "dpo")
          else None})
    try:
        with quiet(step_log, verbose):
            result, gate = work(open_run(state), step)
        for text in result.pop("log_warnings", []):
            log.warning(text)
        log.step_done(step, result, time.time() - started, at=state["cursor"])
    except Exception as err:  # noqa: BLE001 - every failure goes to the failure gate with a diagnosis
        attempts = state.get("attempts", {}).get(key, 0) + 1
        failure = {"step": step, "error": redact_secrets(f"{type(err).__name__}: {err}"),  # errors may echo a key
                   "location": _location(err), "attempts": attempts, "tried": state.get("tried", {}).get(key, [])}
        log.failure(failure)
        emit({"event": "failed", "label": label, "seconds": time.time() - started, "error": failure["error"],
               "log": shown})
        return {"failure": failure, "attempts": {**state.get("attempts", {}), key: attempts}}
    emit({"event": "end", "label": label, "seconds": time.time() - started, "result": result})
    return {"cursor": state["cursor"] + 1, "failure": None, "gate": gate,
            "results": {**state.get("results", {}), key: result}}


# ---------------------------------------------------------------- planning

def plan(state: dict) -> dict:
    from .llm import LLM, LLMSettings
    from .planner import plan_goal
    settings = LLMSettings.from_state(state.get("llm", {}))
    log = log_of(state)
    llm = LLM(settings, warn=log.warning) if settings.enabled else None
    base = LoopConfig.from_dict(state["base_config"]) if state.get("base_config") else None
    p = plan_goal(state["goal"], Path(state["workspace"]), state.get("run_id"), llm, log.warning, base)
    log.planned(p.run_id, p.steps, p.notes, p.source)
    return {"run_id": p.run_id, "plan": p.steps, "plan_notes": p.notes, "plan_source": p.source,
            "plan_readings": p.readings, "overrides": {**p.overrides, **state.get("overrides", {})}, "cursor": 0}


# ---------------------------------------------------------------- pipeline steps

def _figures(summary: dict) -> dict:
    return {m: summary[m] for m in ("accuracy", "step_validity", "trace_validity") if m in summary}


def answer(state: dict) -> dict:
    """A question answered from the run's evidence (agent/answers.py): into the log and onto the terminal."""
    from .answers import answer as answer_from_evidence

    from .console import emit
    step = current(state)
    log = log_of(state)
    lines = answer_from_evidence(step.get("question", ""), Path(state["workspace"]) / "runs" / state["run_id"],
                                 step.get("iteration"), step.get("other"), log.path.parent)
    log.answer(step.get("question", ""), lines)
    emit({"event": "answer", "question": step.get("question", ""), "lines": lines})
    return {"cursor": state["cursor"] + 1, "results": {**state.get("results", {}), "answer:": {"lines": len(lines)}}}


def data(state: dict) -> dict:
    def work(run: Run, step: dict):
        run.save_config()
        report = run.data()
        return {k: report[k] for k in ("train", "test", "errors", "warnings")}, \
            ({"name": "data"} if report["errors"] else None)
    return _execute(state, work)


def sft(state: dict) -> dict:
    def work(run: Run, step: dict):
        run.base_model()
        s = run.sft()
        return {k: s.get(k) for k in ("examples", "steps", "first_loss", "final_loss", "wall_s", "model", "from_checkpoint")
                if s.get(k) is not None}, None
    return _execute(state, work)


def sample(state: dict) -> dict:
    return _execute(state, lambda run, step: (run.sample(step["iteration"]), None))


def check(state: dict) -> dict:
    def work(run: Run, step: dict):
        report = run.check(step["iteration"])
        return {"verdict": report["verdict"], "reasons": report["reasons"], "n_samples": report["n_samples"],
                **_figures(report)}, \
            {"name": "sample", "iteration": step["iteration"]}
    return _execute(state, work)


def pairs(state: dict) -> dict:
    return _execute(state, lambda run, step: (run.pairs(step["iteration"]), {"name": "pairs", "iteration": step["iteration"]}))


def dpo(state: dict) -> dict:
    def work(run: Run, step: dict):
        s = run.dpo(step["iteration"])
        return {k: s.get(k) for k in ("pairs", "steps", "first_loss", "final_loss", "final_reward_accuracy", "wall_s")}, None
    return _execute(state, work)


def evaluate(state: dict) -> dict:
    def work(run: Run, step: dict):
        from sokrates.metrics import at_chance
        k = step["iteration"]
        s = run.evaluate(k)
        gate = {"name": "eval", "iteration": 0, "at_chance": True} if k == 0 and at_chance(s) else None
        return {"stage": s["stage"], "n_problems": s["n_problems"], **_figures(s),
                "file": str(run.model_of(k).parent / "eval" / "summary.json")}, gate
    return _execute(state, work)


def compare(state: dict) -> dict:
    """Compare iteration k with k-1 on the three rates: difference and whether the intervals overlap."""
    def work(run: Run, step: dict):
        k = step["iteration"]
        now = read_json(run.model_of(k).parent / "eval" / "summary.json")
        before = read_json(run.model_of(k - 1).parent / "eval" / "summary.json") if k >= 1 else None
        comparison = {}
        if before:
            for m in ("accuracy", "step_validity", "trace_validity"):
                comparison[m] = {"before": before[m]["value"], "after": now[m]["value"],
                                 "change": round(now[m]["value"] - before[m]["value"], 6),
                                 "intervals_overlap": intervals_overlap(before[m], now[m])}
        return {"iteration": k, "comparison": comparison}, {"name": "eval", "iteration": k, "comparison": comparison}
    return _execute(state, work)


def paper(state: dict) -> dict:
    def work(run: Run, step: dict):
        from .llm import LLM, LLMSettings
        from .paper import draft_results
        from .sections import draft_sections
        path = draft_results(Path(state["workspace"]), run.cfg.run_id)
        result = {"draft": str(path)}
        settings = LLMSettings.from_state(state.get("llm") or {})
        if settings.enabled:
            warnings = result["log_warnings"] = []
            sections = draft_sections(Path(state["workspace"]), run.cfg.run_id, LLM(settings, warn=warnings.append),
                                      warnings.append)
            result["sections"] = str(sections) if sections else "templates only (the LLM draft failed)"
        return result, None
    return _execute(state, work)


def claims(state: dict) -> dict:
    def work(run: Run, step: dict):
        from .claims import check_paths
        workspace = Path(state["workspace"])
        drafts = sorted(p for p in (workspace / "paper").glob("*") if p.suffix in (".md", ".tex") and p.name != "README.md")
        report = check_paths(drafts, workspace / "runs")
        summary = report["summary"]
        failed = summary["mismatch"] + summary["unsupported"]
        problems = [f"{Path(c['file']).name}:{c['line']} {c['text']} -> {c['status']} ({rule[:160]})"
                    for c, rule in zip(report["claims"], report["rules"]) if c["status"] != "verified"]
        result = {"drafts": [str(d) for d in drafts], **summary, "problems": problems[:10]}
        evals = max((int(k.split(":")[1]) for k in state.get("results", {}) if k.startswith("eval:")), default=None)
        after = "draft" if evals is None else stage_name(evals)
        result["report"] = str(run.dir / "claims" / f"after_{after}.json")
        write_json(result["report"], {**summary, "drafts": result["drafts"]})  # one file per check: the log links to it
        return result, ({"name": "claims", "failed": failed, "summary": summary, "problems": problems} if failed else None)
    return _execute(state, work)


# ---------------------------------------------------------------- gates

def _ask(state: dict, name: str, detail: dict) -> dict:
    run_dir = Path(state["workspace"]) / "runs" / state["run_id"]
    q = gates.question(name, state, run_dir, detail)
    answer = interrupt(q)
    choice = answer.get("choice")
    if choice not in q["options"]:
        raise ValueError(f"{choice!r} is not an option of the {name} gate: {q['options']}")
    decision = {"gate": name, "iteration": detail.get("iteration"), "question": q["question"], "options": q["options"],
                "recommended": q["recommended"], "choice": choice, "who": answer.get("who", "human"), "at": answer.get("at") or time.strftime("%Y-%m-%dT%H:%M:%S"),
                **({"because": q["because"]} if q.get("because") else {})}
    log_of(state).decision(decision)
    return decision


def gate_plan(state: dict) -> dict:
    d = _ask(state, "plan", {})
    out: dict = {"decisions": [d], "status": "aborted" if d["choice"] == "abort" else "running"}
    reading = state.get("plan_readings", {}).get(d["choice"])
    if reading:  # an ambiguous goal: the chosen reading's plan replaces the recommended one
        out.update(run_id=reading["run_id"], plan=reading["steps"], plan_notes=reading["notes"],
                   overrides=reading["overrides"])
        log_of(state).planned(reading["run_id"], reading["steps"], reading["notes"], state.get("plan_source", "rules"))
    run_id, overrides = out.get("run_id", state["run_id"]), out.get("overrides", state.get("overrides"))
    config = Path(state["workspace"]) / "runs" / run_id / "config.yaml"
    if d["choice"] != "abort" and overrides and config.is_file():
        open_run({**state, "run_id": run_id}).update(overrides)  # an existing run takes the plan's settings
        log_of(state).note("decision", f"run {run_id} settings changed: {overrides}")
    return out


def gate_data(state: dict) -> dict:
    d = _ask(state, "data", state["gate"])
    return {"decisions": [d], "gate": None, "status": "aborted" if d["choice"] == "abort" else "running"}


def _redo(state: dict, steps: list[dict]) -> dict:
    """Insert steps at the cursor (the plan grows; nothing finished is lost)."""
    c = state["cursor"]
    return {"plan": state["plan"][:c] + steps + state["plan"][c:]}


def gate_sample(state: dict) -> dict:
    k = state["gate"]["iteration"]
    d = _ask(state, "sample", state["gate"])
    out: dict = {"decisions": [d], "gate": None}
    run = open_run(state)
    if d["choice"] == "abort":
        out["status"] = "aborted"
    elif d["choice"] == "adjust_temperature":
        t = round(min(1.5, run.cfg.sample.temperature + 0.3), 2) if run.cfg.sample.temperature > 0 else 0.7
        run.update({"sample.temperature": t})
        log_of(state).note("decision", f"sampling temperature set to {t}; resampling iteration {k}")
        out.update(_redo(state, [{"step": "sample", "iteration": k}, {"step": "check", "iteration": k}]))
    elif d["choice"] == "retrain":
        out.update(_retrain(state, run, k, [{"step": "sample", "iteration": k}, {"step": "check", "iteration": k}]))
    return out


def _retrain(state: dict, run: Run, k: int, then: list[dict]) -> dict:
    """SFT again with twice the epochs, evaluate it, then the `then` steps (the plan grows)."""
    epochs = run.cfg.sft.epochs * 2
    run.update({"sft.epochs": epochs})
    log_of(state).note("tradeoff", f"SFT retrained with {epochs:g} epochs" + (f" before DPO iteration {k}" if k else ""))
    return _redo(state, [{"step": "sft"}, {"step": "eval", "iteration": 0}, *then])


def gate_pairs(state: dict) -> dict:
    k = state["gate"]["iteration"]
    d = _ask(state, "pairs", state["gate"])
    out: dict = {"decisions": [d], "gate": None}
    if d["choice"] == "abort":
        out["status"] = "aborted"
    elif d["choice"] == "resample":
        run = open_run(state)
        run.update({"sample.samples_per_problem": run.cfg.sample.samples_per_problem * 2})
        log_of(state).note("decision", f"resampling iteration {k} with {run.cfg.sample.samples_per_problem} samples "
                                       "per problem")
        out.update(_redo(state, [{"step": s, "iteration": k} for s in ("sample", "check", "pairs")]))
    elif d["choice"] == "retrain":
        out.update(_retrain(state, open_run(state), k, [{"step": s, "iteration": k} for s in ("sample", "check", "pairs")]))
    return out


def gate_eval(state: dict) -> dict:
    k = state["gate"]["iteration"]
    d = _ask(state, "eval", state["gate"])
    out: dict = {"decisions": [d], "gate": None}
    if d["choice"] == "stop":
        out["status"] = "stopped"
    elif d["choice"] == "retrain":
        out.update(_retrain(state, open_run(state), 0, []))
    elif d["choice"] == "next_iteration":
        from .planner import _iteration_steps
        out.update(_redo(state, _iteration_steps(k + 1)))
    elif d["choice"] == "draft":
        from .planner import PAPER
        out["plan"] = state["plan"][:state["cursor"]] + list(PAPER)
    return out


def gate_claims(state: dict) -> dict:
    d = _ask(state, "claims", state["gate"])
    if d["choice"] == "mark_final":
        log_of(state).note("issue", "a paper section was marked final with claims that do not check out")
    return {"decisions": [d], "gate": None}


def gate_failure(state: dict) -> dict:
    from .diagnosis import diagnose
    failure = state["failure"]
    detail = {**failure, "diagnosis": diagnose(failure, state)}
    d = _ask(state, "failure", detail)
    key = f"{failure['step']['step']}:{failure['step'].get('iteration', '')}"
    tried = {**state.get("tried", {}), key: state.get("tried", {}).get(key, []) + [d["choice"]]}
    out: dict = {"decisions": [d], "failure": None, "tried": tried}
    if d["choice"] == "abort":
        out["status"] = "aborted"
    elif d["choice"] == "skip":
        out["cursor"] = state["cursor"] + 1
        log_of(state).note("tradeoff", f"step {key} skipped after a failure")
    elif d["choice"] == "retry_with_changes":
        run = open_run(state)
        changes = {"sft.batch_size": max(1, run.cfg.sft.batch_size // 2), "dpo.batch_size": max(1, run.cfg.dpo.batch_size // 2),
                   "sample.batch_size": max(1, (run.cfg.sample.batch_size or 64) // 2)}
        run.update(changes)
        log_of(state).note("decision", f"retrying {key} with {changes}")
    return out


def finish(state: dict) -> dict:
    status = state.get("status") or "running"
    final = "done" if status == "running" else status
    log_of(state).finished(final, state)
    return {"status": final}
