"""Goals to plans. The goal text becomes an `Intent` (rules, or the LLM's structured answer validated
with pydantic), and the intent becomes a plan from the workspace's real state: which runs exist and
which iterations have been evaluated. The plan is a list of typed steps; the graph runs nothing else."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from sokrates.loop import Run

STEPS = ("data", "sft", "sample", "check", "pairs", "dpo", "eval", "compare", "paper", "claims", "answer")


class Intent(BaseModel):
    """What the researcher asked for, in the agent's own terms."""
    action: Literal["run_iteration", "next_iteration", "redo_iteration", "evaluate", "draft", "check_paper", "new_run",
                    "retrain_sft", "answer"]
    iteration: int | None = Field(default=None, ge=0, le=50)
    other: int | None = Field(default=None, ge=0, le=50)           # the stage an answer compares with
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    samples_per_problem: int | None = Field(default=None, ge=1, le=64)
    more: int | None = Field(default=None, ge=1, le=10)             # next_iteration: how many after the last evaluated
    epochs: float | None = Field(default=None, gt=0, le=1000)       # SFT epochs (retrain_sft)
    more_epochs: float | None = Field(default=None, gt=0, le=1000)  # SFT epochs added to the current ones
    learning_rate: float | None = Field(default=None, gt=0, le=1.0)
    question: str | None = Field(default=None, max_length=500)
    run_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,40}$")


class Goals(BaseModel):
    """The LLM's reading of a goal: the intents to carry out, in order (a lone intent object is a list of one)."""
    intents: list[Intent] = Field(min_length=1, max_length=6)

    @model_validator(mode="before")
    @classmethod
    def _one_intent(cls, data):
        return {"intents": [data]} if isinstance(data, dict) and "intents" not in data else data


class Plan(BaseModel):
    run_id: str
    intent: Intent
    steps: list[dict]
    overrides: dict = Field(default_factory=dict)   # dotted settings for a new run, e.g. sample.temperature
    notes: list[str] = Field(default_factory=list)
    source: str = "rules"                            # rules | llm
    # an ambiguous goal: the plan gate asks which reading was meant (option -> {"means", "run_id", "steps", ...});
    # `steps` are then the first reading's, the recommendation
    readings: dict[str, dict] = Field(default_factory=dict)


WORD_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                "eight": "8", "nine": "9", "ten": "10", "first": "1", "second": "2", "third": "3"}
ITER = r"(?:dpo\s+)?(?:iter(?:ation)?|round)\s*#?\s*(\d+)"
LATEST = r"(?:the\s+)?(?:last|latest|most recent|current)\s+(?:dpo\s+)?(?:iter(?:ation)?|round|model)"  # iteration None


def intents_from_rules(goal: str) -> list[Intent] | None:
    """Several goals joined by "then" (or ";"): one intent each, in order; None when any part is not understood."""
    parts = [p.strip(" ,.") for p in re.split(r"\bthen\b|;|\band after that\b", goal, flags=re.I) if p.strip(" ,.")]
    intents = [intent_from_rules(p) for p in parts]
    return intents if intents and all(intents) else None


def intent_from_rules(goal: str) -> Intent | None:
    g = re.sub(r"\b(" + "|".join(WORD_NUMBERS) + r")\b", lambda m: WORD_NUMBERS[m.group(1)], goal.lower().strip())
    temp = re.search(r"temperature\b[^0-9.;]{0,30}?([0-9]*\.?[0-9]+)", g) or \
        re.search(r"\b(?:at\s+)?t\s*=\s*([0-9]*\.?[0-9]+)", g)
    temperature = float(temp.group(1)) if temp else None
    k = re.search(r"(\d+)\s+(?:samples|traces|completions|generations)\s+(?:per|for each|for every|a|each)\s+problem", g)
    sampling = dict(temperature=temperature, samples_per_problem=int(k.group(1)) if k else None)
    named = [int(n) for n in re.findall(ITER, g)] + ([0] if re.search(r"\bsft\b", g) else [])
    if goal.strip().endswith("?") or re.match(r"(what|why|how|which|did|does|is|are|was|were|compare|show|explain|"
                                              r"summari[sz]e|recap|give me a (?:summary|recap)|tell me|"
                                              r"i (?:want|would like|'d like) to (?:see|know)|let me see)\b", g):
        return Intent(action="answer", question=goal.strip()[:500], iteration=named[0] if named else None,
                      other=named[1] if len(named) > 1 else None)
    if re.search(r"\b(?:train|run)\s+sft\s+(?:for\s+)?longer|\bretrain\b|\bmore epochs\b|\bsft\b.*\b(?:epochs?|learning rate|lr)\b", g):
        more = re.search(r"(\d+(?:\.\d+)?)\s+more\s+epochs?", g)
        total = re.search(r"(?<!more )\b(\d+(?:\.\d+)?)\s+epochs?", g)
        lr = re.search(r"(?:learning rate|lr)\b[^0-9;]{0,25}?(\d[0-9.]*(?:e-?\d+)?)", g)  # "lr of SFT to 3e-3"
        return Intent(action="retrain_sft", more_epochs=float(more.group(1)) if more else None,
                      epochs=float(total.group(1)) if total and not more else None,
                      learning_rate=float(lr.group(1)) if lr else None)
    more = re.search(r"\b(\d+)\s+more\s+(?:dpo\s+)?(?:iterations|rounds)\b", g)  # "2 more iterations"
    if more or re.search(r"\b(another|next|one more|1 more|a further)\s+(?:dpo\s+)?(?:iteration|round)|"
                         r"\b(?:another|more|do|run)\s+dpo\b", g):
        return Intent(action="next_iteration", more=int(more.group(1)) if more else None, **sampling)
    # "run 3 iterations of DPO", "do iterations 2 and 3", "up to iteration 3": the run up to the last one named
    if m := re.search(r"\b(?:run|do|train|perform)\s+(\d+)\s+(?:dpo\s+)?(?:iterations|rounds)\b|"
                      r"\biterations?\s+\d+\s*(?:and|to|through|-|–)\s*(\d+)|\bup to\s+(?:dpo\s+)?iteration\s+(\d+)", g):
        return Intent(action="run_iteration", iteration=int(next(x for x in m.groups() if x)), **sampling)
    if m := re.search(r"\b(?:redo|rerun|re-run|repeat)\s+(?:" + ITER + "|" + LATEST + ")", g):
        return Intent(action="redo_iteration", iteration=int(m.group(1)) if m.group(1) else None, **sampling)
    if m := re.search(r"\bsampl\w*\b.*?\b(?:for|of|in)\s+(?:" + ITER + "|" + LATEST + ")", g):
        # "sample 8 traces per problem at temperature 1.0 for iteration 2": that iteration with these settings
        return Intent(action="redo_iteration", iteration=int(m.group(1)) if m.group(1) else None, **sampling)
    if re.search(r"\beval\w*\s+" + LATEST, g):
        return Intent(action="evaluate")
    if re.search(r"\bnew run\b|\bstart (?:a )?(?:fresh|new)\b|\bfrom scratch\b|\bstart over\b", g):
        return Intent(action="new_run", iteration=_number(g, r"iterations?\s+(\d+)"), **sampling)
    if m := re.search(r"\beval\w*\s+(?:the\s+)?(?:(?:dpo\s+)?iter(?:ation)?\s*(\d+)|(sft))", g):
        return Intent(action="evaluate", iteration=int(m.group(1)) if m.group(1) else 0)
    # "write up the results and double-check the numbers": drafting checks the numbers too
    if re.search(r"\b(?:draft|write|writing|update|redraft|make|plot|chart)\s+(?:up\s+)?(?:(?:the|a|an|our|my)\s+)?"
                 r"(?:results?|paper|section|table|figures?|plots?|charts?)\b|\b(?:figure|plot|chart)s?\s+of\b", g):
        return Intent(action="draft")
    if re.search(r"\b(check|verify)\b.*\b(paper|draft|claims?|numbers)\b|^(?:check|verify)\s+(?:it|them|that)$", g):
        return Intent(action="check_paper")
    if re.search(r"\b(draft|write|update)\b.*\b(results?|paper|section|table)\b", g):
        return Intent(action="draft")
    if m := re.search(r"\b(?:run|do|start|train|continue with)\s+" + ITER, g):
        return Intent(action="run_iteration", iteration=int(m.group(1)), **sampling)
    if re.search(r"\b(?:run|continue)\b.*\bloop\b|\b(?:continue|finish|resume|complete)\b.*\b(?:run|iterations)\b|"
                 r"\b(?:resume|carry on|pick up|continue)\b.*\b(?:left off|where|stopped)\b|^(?:resume|continue)$|"
                 r"\bkeep going\b|\buntil (?:it )?converge", g):
        return Intent(action="run_iteration", **sampling)  # the run's configured iterations; finished steps are skipped
    if re.search(r"\b(?:sanity[\s-]?check|spot[\s-]?check|try|test)\b.*\bsft\b", g):
        return Intent(action="evaluate", iteration=0)  # "sanity-check the SFT model on a few problems"
    if temperature is not None or k:  # "try a higher temperature when sampling, say 1.0": a new round with it
        return Intent(action="next_iteration", **sampling)
    return None


# Goals with more than one sensible reading: the plan gate asks which one (the first is recommended), not a guess.
READINGS = [
    (r"^(?:please\s+)?(?:re-?)?eval\w*(?:\s+(?:it|again|now|the model|a model|the run|on the test set|on held-out "
     r"problems))*$|^(?:sanity[\s-]?check|spot[\s-]?check)\b",
     [("evaluate_latest", "evaluate the latest model", Intent(action="evaluate")),
      ("evaluate_sft", "evaluate the SFT model", Intent(action="evaluate", iteration=0))]),
    (r"\b(?:train(?:ing)?|it)\b.*\b(?:longer|more|further|again)\b|\bkeep (?:on )?training\b|\bimprove (?:it|the model)\b|"
     r"\b(?:push|improve|raise|increase|boost|lift)\b.*\b(?:accuracy|step validity|trace validity|validity|results?)\b",
     [("more_dpo", "another DPO round on the latest model", Intent(action="next_iteration")),
      ("retrain_sft", "SFT again with twice the epochs (the DPO iterations then need redoing)",
       Intent(action="retrain_sft"))]),
]


def readings_of(goal: str) -> list[tuple[str, str, Intent]]:
    """The readings of an ambiguous goal (option name, what it means, intent); [] when it is not one of them."""
    g = goal.lower().strip(" .!")
    return next((readings for pattern, readings in READINGS if re.search(pattern, g)), [])


def _number(text: str, pattern: str) -> int | None:
    m = re.search(pattern, text)
    return int(m.group(1)) if m else None


UNDERSTOOD = ('"run iteration 2", "do another DPO round" (or "more DPO"), "redo iteration 1" (or "the last '
              'iteration"), "train SFT longer" (or "with 12 epochs", "with learning rate 1e-3"), "evaluate iteration 1" (or '
              '"the latest model"), "draft the results section", "check the paper", "start a new run with temperature 0.7", '
              '"run the loop" (or "resume where we left off"), "sample 8 traces per problem at temperature 1.0 for iteration 2", '
              '"make a figure of the results", questions such as "what went wrong in iteration 1?", and several joined '
              'by "then"')


# Goals the rules recognise but no plan of a run's steps can carry out: what to do instead.
HINTS = [
    (r"\b(?:bigger|larger|smaller|wider|deeper)\s+model\b|\bmodel size\b|\bmore (?:layers|parameters)\b",
     "the model is fixed per run: start a new run with --config naming `tiny:` sizes (hidden_size, layers, heads) or "
     "`model: /path/to/a/local/model`"),
    (r"\bablat\w*|\bwithout (?:the )?(?:solver|verifier)\b|\bno (?:solver|verifier)\b",
     "an ablation is a new run with its own settings: \"start a new run\" with --config (e.g. `gold_chosen_fallback: "
     "true`, `step_pairs: true`, `pairs_per_problem: 1`); its figures then sit beside the others"),
    (r"\b(?:eval\w*|test)\b.*\b\d[\d,]*\s+(?:test\s+)?problems\b",
     "the test set's size is set per run (`data.n_test`, `eval.n_problems`): start a new run with --config; changing it "
     "inside a run would make its stages' figures incomparable"),
]


def not_understood(goal: str) -> str:
    """Why the rules cannot plan a goal, and what to do instead."""
    hint = next((h for pattern, h in HINTS if re.search(pattern, goal.lower())), None)
    if hint:
        return f"the goal {goal!r} is not a step of a run. Fix: {hint}."
    return f"cannot understand the goal {goal!r}. Fix: try one of {UNDERSTOOD}"


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


def checkpoint_note(name: str) -> str:
    """What the plan and the session log say when SFT is a shipped checkpoint, not trained in this run."""
    from sokrates.model import CHECKPOINT_FILE, checkpoint_dir, checkpoint_record
    path = checkpoint_dir(name)
    record = checkpoint_record(path)
    sv = record.get("eval_greedy_test300", {}).get("step_validity", {}).get("value")
    return (f"SFT is not trained in this session: the run starts from the shipped checkpoint {path.name} "
            f"({record.get('steps')} SFT steps on {record['data']['n_train']:,} problems, made with `{record['command']}`, "
            f"sha256 {record['sha256'][:12]}…" + (f", step validity {sv:.3f} when made" if sv is not None else "") +
            f"; {path / CHECKPOINT_FILE}); set sft_checkpoint: null to train SFT from scratch")


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
        if run.cfg.sft_checkpoint:
            notes.append(checkpoint_note(run.cfg.sft_checkpoint))
    if target - 1 > max(done, 0):
        missing = ", ".join(str(i) for i in range(max(done, 0) + 1, target))
        notes.append(f"iteration {target} needs iteration(s) {missing} first: they are in the plan")
    for k in range(max(done, 0) + 1, target + 1):
        steps += _iteration_steps(k)
    return steps


def _sampling(intent: Intent) -> dict:
    """The sampling settings a goal names, as dotted overrides of the run's config."""
    return {f"sample.{k}": v for k, v in (("temperature", intent.temperature),
                                          ("samples_per_problem", intent.samples_per_problem)) if v is not None}


def _settings_text(overrides: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in overrides.items())


def make_plan(intent: Intent, workspace: Path, run_id: str | None, new_run_config=None, source: str = "rules") -> Plan:
    """The steps that reach the intent from the workspace's current state."""
    from sokrates.loop import LoopConfig
    workspace = Path(workspace)
    existing = runs_in(workspace)
    notes: list[str] = []
    overrides = _sampling(intent)  # dotted settings the run's config takes; retraining SFT adds its own
    if intent.action == "new_run":
        rid = intent.run_id or next(f"run{i}" for i in range(1, 1000) if f"run{i}" not in existing)
        target = intent.iteration or 1
        steps = [{"step": "data"}, {"step": "sft"}, {"step": "eval", "iteration": 0}] + PAPER + \
            [s for k in range(1, target + 1) for s in _iteration_steps(k)]
        notes.append(f"new run {rid}" + (f" with {_settings_text(overrides)}" if overrides else ""))
        return Plan(run_id=rid, intent=intent, steps=steps, overrides=overrides, notes=notes, source=source)
    rid = intent.run_id or run_id or (existing[-1] if existing else "run1")
    if len(existing) > 1 and not (intent.run_id or run_id):  # the goal names no run: say which one, not silently
        notes.append(f"{rid} is the most recently changed of {len(existing)} runs ({', '.join(existing)}); name another "
                     "with --run-id")
    run = Run.open(workspace, rid) if rid in existing else Run(workspace, replace(new_run_config or LoopConfig(), run_id=rid))
    if intent.action == "answer":
        step = {"step": "answer", "question": intent.question or ""}
        step.update({k: v for k, v in (("iteration", intent.iteration), ("other", intent.other)) if v is not None})
        notes.append("a question: answered from the run's evidence, nothing is trained")
        return Plan(run_id=rid, intent=intent, steps=[step], notes=notes, source=source)
    if intent.action == "retrain_sft":
        epochs = intent.epochs or (run.cfg.sft.epochs + intent.more_epochs if intent.more_epochs else run.cfg.sft.epochs * 2)
        overrides["sft.epochs"] = epochs
        if intent.learning_rate:
            overrides["sft.learning_rate"] = intent.learning_rate
        lr = f" and learning rate {intent.learning_rate:g}" if intent.learning_rate else ""
        notes.append(f"SFT of {rid} again with {epochs:g} epochs (was {run.cfg.sft.epochs:g}){lr}")
        done = evaluated_iterations(run)
        if done >= 1:
            notes.append("the DPO iterations built on the old SFT model are out of date: redo them after this")
        steps = ([{"step": "data"}] if done < 0 else []) + [{"step": "sft"}, {"step": "eval", "iteration": 0}] + PAPER
        return Plan(run_id=rid, intent=intent, steps=steps, overrides=overrides, notes=notes, source=source)
    if intent.action == "next_iteration":
        first = max(evaluated_iterations(run), 0) + 1
        intent = intent.model_copy(update={"action": "run_iteration", "iteration": first + (intent.more or 1) - 1})
        notes.append(f"the next iteration of {rid} is {first}" + (f", up to {intent.iteration}" if intent.iteration > first else ""))
    if intent.action == "redo_iteration":
        k = intent.iteration or max(evaluated_iterations(run), 1)  # none named: the latest
        notes.append(f"iteration {k} again from its sampling (steps whose inputs did not change are skipped)")
        return Plan(run_id=rid, intent=intent, steps=_build_up_to(run, k - 1, notes) + _iteration_steps(k),
                    overrides=overrides, notes=notes, source=source)
    if intent.action == "draft":
        notes.append("the results section's tables are refreshed from the metrics files and its numbers checked; the "
                     "charts (per-iteration metrics, loss curves) are drawn beside the session log")
        return Plan(run_id=rid, intent=intent, steps=list(PAPER), notes=notes, source=source)
    if intent.action == "check_paper":
        return Plan(run_id=rid, intent=intent, steps=[{"step": "claims"}], notes=notes, source=source)
    if intent.action == "evaluate":
        k = intent.iteration if intent.iteration is not None else max(evaluated_iterations(run), 0)  # none: the latest
        if run.model_of(k).is_dir():
            steps = [{"step": "eval", "iteration": k}] + PAPER
        else:
            notes.append(f"there is no model for iteration {k} yet: the plan trains it first")
            steps = _build_up_to(run, k, notes)
        return Plan(run_id=rid, intent=intent, steps=steps, notes=notes, source=source)
    target = intent.iteration if intent.iteration is not None else run.cfg.iterations
    steps = _build_up_to(run, target, notes)
    if not steps and overrides and target >= 1:  # already done, but with other sampling settings: again
        notes.append(f"iteration {target} is already evaluated: it is run again from its sampling with "
                     f"{_settings_text(overrides)}")
        steps = _iteration_steps(target)
    elif not steps:
        notes.append(f"iteration {target} is already evaluated: comparing it with the previous one")
        steps = [{"step": "compare", "iteration": target}] + PAPER
    return Plan(run_id=rid, intent=intent, steps=steps, overrides=overrides, notes=notes, source=source)


def plan_goal(goal: str, workspace: Path, run_id: str | None = None, llm=None, warn=print, new_run_config=None) -> Plan:
    """Rules first when no LLM is configured; with one, its validated intent, falling back to the rules."""
    goals, source = None, "rules"
    if llm is not None:  # the LLM composes the plan from the same intents; one it does not know fails validation
        from .llm import render_prompt
        state = {r: evaluated_iterations(Run.open(workspace, r)) for r in runs_in(Path(workspace))}
        goals = llm.structured(render_prompt("plan.md", goal=goal, runs=state or "none"), Goals)
        source = "llm" if goals is not None else "rules"
    intents = goals.intents if goals is not None else intents_from_rules(goal)
    if not intents and (readings := readings_of(goal)):
        plans = {name: (means, make_plan(i, Path(workspace), run_id, new_run_config, source)) for name, means, i in readings}
        first = next(iter(plans.values()))[1]
        first.readings = {name: {"means": means, "run_id": p.run_id, "steps": p.steps, "notes": p.notes,
                                 "overrides": p.overrides} for name, (means, p) in plans.items()}
        first.notes = [f"the goal can mean {' or '.join(m for m, _ in plans.values())}: the plan gate asks which"]
        return first
    if not intents:
        raise ValueError(not_understood(goal))
    plans = [make_plan(i, Path(workspace), run_id, new_run_config, source) for i in intents]
    first = plans[0]
    for later in plans[1:]:  # "train SFT longer then redo iteration 1": one plan, the parts in order, one run
        first.steps += later.steps[1:] if first.steps and later.steps[:1] == first.steps[-1:] else later.steps
        first.notes += later.notes
        first.overrides.update(later.overrides)
    return first
