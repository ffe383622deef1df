"""Goals to plans. The goal text becomes an `Intent` (rules, or the LLM's structured answer validated
with pydantic), and the intent becomes a plan from the workspace's real state: which runs exist and
which iterations have been evaluated. The plan is a list of typed steps; the graph runs nothing else."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from sokrates.loop import Run

STEPS = ("data", "sft", "sample", "check", "pairs", "dpo", "eval", "compare", "paper", "claims")


class Intent(BaseModel):
    """What the researcher asked for, in the agent's own terms."""
    action: Literal["run_iteration", "evaluate", "draft", "check_paper", "new_run"]
    iteration: int | None = Field(default=None, ge=0, le=50)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    run_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,40}$")


class Plan(BaseModel):
    run_id: str
    intent: Intent
    steps: list[dict]
    overrides: dict = Field(default_factory=dict)   # dotted settings for a new run, e.g. sample.temperature
    notes: list[str] = Field(default_factory=list)
    source: str = "rules"                            # rules | llm


def intent_from_rules(goal: str) -> Intent | None:
    g = goal.lower().strip()
    temp = re.search(r"temperature\s*(?:of|=|to|at)?\s*([0-9]*\.?[0-9]+)", g)
    temperature = float(temp.group(1)) if temp else None
    if re.search(r"\bnew run\b|\bstart (?:a )?(?:fresh|new)\b", g):
        return Intent(action="new_run", temperature=temperature, iteration=_number(g, r"iterations?\s+(\d+)"))
    if m := re.search(r"\beval\w*\s+(?:the\s+)?(?:(?:dpo\s+)?iter(?:ation)?\s*(\d+)|(sft))", g):
        return Intent(action="evaluate", iteration=int(m.group(1)) if m.group(1) else 0)
    if re.search(r"\b(check|verify)\b.*\b(paper|draft|claims?|numbers)\b", g):
        return Intent(action="check_paper")
    if re.search(r"\b(draft|write|update)\b.*\b(results?|paper|section|table)\b", g):
        return Intent(action="draft")
    if m := re.search(r"\b(?:run|do|start|train|continue with)\s+(?:dpo\s+)?iter(?:ation)?\s*(\d+)", g):
        return Intent(action="run_iteration", iteration=int(m.group(1)), temperature=temperature)
    if re.search(r"\b(run|continue)\b.*\bloop\b", g):
        return Intent(action="run_iteration", temperature=temperature)
    return None


def _number(text: str, pattern: str) -> int | None:
    m = re.search(pattern, text)
    return int(m.group(1)) if m else None


UNDERSTOOD = ('"run iteration 2", "evaluate iteration 1", "draft the results section", "check the paper", '
              '"start a new run with temperature 0.7", "run the loop"')


def runs_in(workspace: Path) -> list[str]:
    """Run ids of the workspace, most recently changed last."""
    configs = sorted((workspace / "runs").glob("*/config.yaml"), key=lambda p: p.stat().st_mtime)
    return [p.parent.name for p in configs]


def evaluated_iterations(run: Run) -> int:
    """The last iteration with an evaluation summary (0 = SFT), or -1 when nothing is evaluated."""
    k = -1
    while (run.model_of(k + 1).parent / "eval" / "summary.json").is_file():
        k += 1
    return k


PAPER = [{"step": "paper"}, {"step": "claims"}]  # after each evaluation: refresh the tables, check the claims


def _iteration_steps(k: int) -> list[dict]:
    return [{"step": s, "iteration": k} for s in ("sample", "check", "pairs", "dpo", "eval", "compare")] + PAPER


def _build_up_to(run: Run, target: int, notes: list[str]) -> list[dict]:
    done = evaluated_iterations(run)
    steps: list[dict] = []
    if done < 0:
        steps += [{"step": "data"}, {"step": "sft"}, {"step": "eval", "iteration": 0}] + PAPER
        if target >= 1:
            notes.append("no SFT model yet: the plan builds the data and the SFT model first")
    if target - 1 > max(done, 0):
        missing = ", ".join(str(i) for i in range(max(done, 0) + 1, target))
        notes.append(f"iteration {target} needs iteration(s) {missing} first: they are in the plan")
    for k in range(max(done, 0) + 1, target + 1):
        steps += _iteration_steps(k)
    return steps


def make_plan(intent: Intent, workspace: Path, run_id: str | None, new_run_config=None, source: str = "rules") -> Plan:
    """The steps that reach the intent from the workspace's current state."""
    from sokrates.loop import LoopConfig
    workspace = Path(workspace)
    existing = runs_in(workspace)
    notes: list[str] = []
    overrides: dict = {}
    if intent.action == "new_run":
        rid = intent.run_id or next(f"run{i}" for i in range(1, 1000) if f"run{i}" not in existing)
        if intent.temperature is not None:
            overrides["sample.temperature"] = intent.temperature
        target = intent.iteration or 1
        steps = [{"step": "data"}, {"step": "sft"}, {"step": "eval", "iteration": 0}] + PAPER + \
            [s for k in range(1, target + 1) for s in _iteration_steps(k)]
        notes.append(f"new run {rid}" + (f" with sample.temperature={intent.temperature}" if overrides else ""))
        return Plan(run_id=rid, intent=intent, steps=steps, overrides=overrides, notes=notes, source=source)
    rid = intent.run_id or run_id or (existing[-1] if existing else "run1")
    run = Run.open(workspace, rid) if rid in existing else Run(workspace, replace(new_run_config or LoopConfig(), run_id=rid))
    if intent.temperature is not None:
        overrides["sample.temperature"] = intent.temperature
    if intent.action == "draft":
        return Plan(run_id=rid, intent=intent, steps=list(PAPER), notes=notes, source=source)
    if intent.action == "check_paper":
        return Plan(run_id=rid, intent=intent, steps=[{"step": "claims"}], notes=notes, source=source)
    if intent.action == "evaluate":
        k = intent.iteration or 0
        if run.model_of(k).is_dir():
            steps = [{"step": "eval", "iteration": k}] + PAPER
        else:
            notes.append(f"there is no model for iteration {k} yet: the plan trains it first")
            steps = _build_up_to(run, k, notes)
        return Plan(run_id=rid, intent=intent, steps=steps, notes=notes, source=source)
    target = intent.iteration if intent.iteration is not None else run.cfg.iterations
    steps = _build_up_to(run, target, notes)
    if not steps:
        notes.append(f"iteration {target} is already evaluated: comparing it with the previous one")
        steps = [{"step": "compare", "iteration": target}] + PAPER
    return Plan(run_id=rid, intent=intent, steps=steps, overrides=overrides, notes=notes, source=source)


def plan_goal(goal: str, workspace: Path, run_id: str | None = None, llm=None, warn=print, new_run_config=None) -> Plan:
    """Rules first when no LLM is configured; with one, its validated intent, falling back to the rules."""
    intent, source = None, "rules"
    if llm is not None:
        from .llm import render_prompt
        state = {r: evaluated_iterations(Run.open(workspace, r)) for r in runs_in(Path(workspace))}
        intent = llm.structured(render_prompt("plan.md", goal=goal, runs=state or "none"), Intent)
        source = "llm" if intent is not None else "rules"
    intent = intent or intent_from_rules(goal)
    if intent is None:
        raise ValueError(f"cannot understand the goal {goal!r}. Try one of: {UNDERSTOOD}.")
    return make_plan(intent, Path(workspace), run_id, new_run_config, source)
