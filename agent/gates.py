"""Branch points: what each gate asks, the evidence it shows (read from the metrics files), its
options and the recommended one. Pure functions of the state and the files: a gate node calls
`question(...)` and hands the result to LangGraph's interrupt()."""
from __future__ import annotations

import json
from pathlib import Path

from sokrates.io import read_json, read_jsonl
from sokrates.loop import Run, stage_name
from sokrates.metrics import format_rate

from .session_log import step_label

OPTIONS = {
    "plan": ["approve", "abort"],
    "data": ["proceed", "abort"],
    "sample": ["proceed", "adjust_temperature", "retrain", "abort"],
    "pairs": ["proceed", "resample", "retrain", "abort"],
    "eval": ["continue", "next_iteration", "draft", "retrain", "stop"],
    "claims": ["revise", "mark_final"],
    "failure": ["retry", "retry_with_changes", "skip", "abort"],
}


def _examples(samples: Path, k: int = 3) -> list[str]:
    if not samples.is_file():
        return []
    records = read_jsonl(samples)
    picks = [r for r in records if r["valid"]][:1] + [r for r in records if not r["valid"]][: k - 1]
    return [f"{r['problem_id']} ({'valid' if r['valid'] else 'invalid'}):\n{r['text'].strip()}" for r in picks[:k]]


# --yes follows a recommendation to resample or retrain this many times at one gate, then recommends stopping
MAX_RESAMPLES = 2
MAX_RETRAINS = 1


def _tries(state: dict, gate: str, iteration, choice: str) -> int:
    """How often `choice` was already taken at this gate for this iteration in the session."""
    return sum(d["gate"] == gate and d.get("iteration") == iteration and d["choice"] == choice
               for d in state.get("decisions", []))


def _diagnosis(summary: dict) -> dict:
    """What goes wrong first, for a gate's evidence: top causes, local step validity, first-error steps."""
    from sokrates.causes import top_causes
    d = summary.get("diagnosis")
    if not d:
        return {}
    return {"first_errors": "; ".join(top_causes(d)) or "none",
            "local_step_validity": format_rate(d["local_step_validity"]),
            "first_error_step": d["first_error_step"]}


def explain(run_dir: Path) -> dict:
    """What each option does, in the run's own numbers ("retrain: SFT again with 12 epochs instead of 6")."""
    try:
        cfg = Run.open(run_dir.parent.parent, run_dir.name, log=lambda m: None).cfg
    except Exception:  # noqa: BLE001 - before the run exists (the plan gate) the options speak in general terms
        cfg = None
    epochs = f"{cfg.sft.epochs * 2:g} epochs instead of {cfg.sft.epochs:g}" if cfg else "twice the epochs"
    t = cfg.sample.temperature if cfg else None
    temp = (f"temperature {round(min(1.5, t + 0.3), 2) if t else 0.7} instead of {t}" if cfg else "a higher temperature")
    n = f"{cfg.sample.samples_per_problem * 2} samples per problem instead of {cfg.sample.samples_per_problem}" if cfg \
        else "twice the samples per problem"
    return {"approve": "run the steps in order", "abort": "stop here; finished steps are kept",
            "proceed": "go on with the next step", "adjust_temperature": f"sample again at {temp}",
            "retrain": f"SFT again with {epochs}, evaluate, then go on", "resample": f"sample again with {n}",
            "continue": "go on with the plan", "next_iteration": "add the next DPO iteration to the plan",
            "draft": "skip to drafting and checking the paper", "stop": "end the session here",
            "revise": "leave the draft open for revision", "mark_final": "mark the section final as it is (logged)",
            "retry": "run the failed step again unchanged", "retry_with_changes": "run it again with half the batch sizes",
            "skip": "go on without this step (logged as a trade-off)"}


def question(name: str, state: dict, run_dir: Path, detail: dict) -> dict:
    """The interrupt payload: gate name, question, evidence, warnings, examples, options, recommendation."""
    q = {"gate": name, "options": list(OPTIONS[name]), "evidence": {}, "warnings": [], "examples": []}
    k = detail.get("iteration")
    stage = run_dir / stage_name(k)
    readings = state.get("plan_readings") if name == "plan" else None
    if readings:
        q["question"] = f"The goal {state['goal']!r} can mean more than one thing. Which one?"
        q["options"] = [*readings, "abort"]
        q["evidence"] = {o: f"{r['means']} on run {r['run_id']}: " + ", ".join(step_label(s) for s in r["steps"])
                         for o, r in readings.items()}
        q["recommended"] = next(iter(readings))
    elif name == "plan":
        q["question"] = f"Run this plan for the goal {state['goal']!r} on run {state['run_id']}?"
        q["evidence"] = {"steps": [step_label(s) for s in state["plan"]], "notes": state.get("plan_notes", []),
                         "planned_by": state.get("plan_source", "rules")}
        q["recommended"] = "approve"
    elif name == "data":
        report = read_json(run_dir / "data" / "check.json")
        q["question"] = "The data check found problems. Proceed anyway?"
        q["evidence"] = {k2: report[k2] for k2 in ("train", "test", "errors", "warnings")}
        q["warnings"] = report["findings"][:10]
        q["recommended"] = "abort" if report["errors"] else "proceed"
    elif name == "sample":
        check = read_json(stage / "check.json")
        q["question"] = f"Sample check before DPO iteration {k}: verdict {check['verdict'].upper()}. How to go on?"
        q["evidence"] = {"format_validity": check["format_validity"], "degenerate_share": check["degenerate"]["share"],
                         "distinct_traces_per_problem": check["distinct_traces_per_problem"],
                         "mean_steps": check["mean_steps"], "accuracy": format_rate(check["accuracy"]),
                         "step_validity": format_rate(check["step_validity"]), "trace_validity": format_rate(check["trace_validity"]),
                         "temperature": check["temperature"], "file": str(stage / "check.json")}
        q["evidence"].update(_diagnosis(check))
        q["warnings"] = check["reasons"]
        q["examples"] = _examples(stage / "samples.jsonl")
        low_diversity = any("diversity" in r or "temperature is 0" in r for r in check["reasons"])
        q["recommended"] = "abort" if check["verdict"] == "fail" else "adjust_temperature" if low_diversity else "proceed"
    elif name == "pairs":
        report = read_json(stage / "pairs.json")
        q["question"] = f"{report['pairs']} DPO pairs from {report['problems_with_pairs']}/{report['problems']} problems. Train DPO?"
        q["evidence"] = dict(report)
        if report["problems_without_valid_sample"] > report["problems"] / 2:
            q["warnings"].append(f"{report['problems_without_valid_sample']} problems have no valid sample")
        share = report["chosen_gold_true_share"]
        if report["pairs"] and not 0.2 <= share <= 0.8:
            q["warnings"].append(f"pairs are unbalanced: {share:.0%} have gold label True")
        run = Run.open(run_dir.parent.parent, run_dir.name, log=lambda m: None)
        enough, why = run.pairs_verdict(report)
        q["evidence"]["rule"] = why
        lengths = q["evidence"].pop("lengths", None)
        if lengths:
            q["evidence"]["longest pair"] = (f"{lengths['longest_tokens']} tokens (prompt and its longer trace; limit "
                                             f"{lengths['limit'] or 'none'}, {lengths.get('limit_from', '')})")
        if lengths and lengths["too_long"]:
            q["warnings"] += lengths["findings"]
            q["recommended"], q["because"] = "abort", (f"{lengths['too_long']} pairs are longer than {lengths['limit_from']} "
                                                       "allows: DPO would cut them; fix the setting, then resume")
        elif enough:
            q["recommended"] = "proceed"
        else:
            q["warnings"].append(why)
            if not (run.cfg.later_first_error_pairs or run.cfg.gold_chosen_fallback):
                q["warnings"].append("later_first_error_pairs: true in the run's config.yaml would also pair invalid "
                                     "traces by where their first error comes (a change to the method, named in the draft)")
            q["recommended"] = ("resample" if _tries(state, "pairs", k, "resample") < MAX_RESAMPLES else
                                "retrain" if _tries(state, "pairs", k, "retrain") < MAX_RETRAINS else "abort")
            if q["recommended"] == "abort":
                q["warnings"].append(f"still too few pairs after {MAX_RESAMPLES} resamplings and {MAX_RETRAINS} "
                                     "retraining: DPO on them would not move the model; stopping")
    elif name == "eval":
        summary = read_json(stage / "eval" / "summary.json")
        q["question"] = f"Evaluation after {'SFT' if not k else f'DPO iteration {k}'} is done. What next?"
        q["evidence"] = {m: format_rate(summary[m]) for m in ("accuracy", "step_validity", "trace_validity")}
        q["evidence"]["file"] = str(stage / "eval" / "summary.json")
        if detail.get("comparison"):
            q["evidence"]["change"] = detail["comparison"]
        q["evidence"].update(_diagnosis(summary))
        q["examples"] = _examples(stage / "eval" / "samples.jsonl")
        remaining = state["plan"][state["cursor"]:]
        if not remaining:
            q["options"].remove("continue")
        q["recommended"] = "continue" if remaining else "stop"
        if not k and detail.get("at_chance"):
            q["question"] = ("The SFT model answers at chance: its accuracy interval reaches the score of always giving "
                             "the most common answer. DPO needs valid samples to learn from. What next?")
            q["evidence"]["majority_label_share"] = format_rate(summary["majority_label_share"])
            q["warnings"].append("the SFT model is at chance: sampling and DPO from it are unlikely to help")
            q["recommended"] = "retrain" if _tries(state, "eval", 0, "retrain") < MAX_RETRAINS else "stop"
            checkpoint = (Run.open(run_dir.parent.parent, run_dir.name, log=lambda m: None).cfg.sft_checkpoint
                          if (run_dir / "config.yaml").is_file() else None)
            if checkpoint:  # a shipped checkpoint is copied, not trained: retraining would change nothing
                q["options"].remove("retrain")
                q["recommended"] = "stop"
                q["warnings"].append(f"SFT is the shipped checkpoint {checkpoint}: to retrain, set "
                                     "sft_checkpoint: null in the run's config.yaml")
        else:
            q["options"].remove("retrain")
            drop = (detail.get("comparison") or {}).get("step_validity") or {}
            if k and drop.get("change", 0) < 0 and not drop.get("intervals_overlap", True):
                q["warnings"].append(f"step validity fell from {drop['before']:.3f} to {drop['after']:.3f} with the 95% "
                                     "intervals apart: DPO made the model measurably worse, and more iterations from "
                                     "it are unlikely to help (the first-error causes above say what changed); "
                                     "recommended: write up what happened instead of training more")
                q["recommended"] = "draft" if remaining else "stop"
                q["because"] = "DPO made step validity measurably worse"
    elif name == "claims":
        q["question"] = f"{detail['failed']} claim(s) in the draft do not check out. Mark the section final anyway?"
        q["evidence"] = {"report": detail.get("report"), "summary": detail.get("summary")}
        q["warnings"] = detail.get("problems", [])[:10]
        q["recommended"] = "revise"
    elif name == "failure":
        q["question"] = f"Step {step_label(detail['step'])} failed: {detail['error']}"
        from .diagnosis import recommendation
        q["evidence"] = {"diagnosis": detail["diagnosis"], "attempts": detail["attempts"]}
        q["recommended"] = recommendation(detail)
    q["explain"] = {o: text for o, text in explain(run_dir).items() if o in q["options"]}
    q["explain"].update({o: r["means"] for o, r in (readings or {}).items()})
    return q


def render(q: dict) -> str:
    """The question as a terminal shows it."""
    lines = [f"== {q['gate']}: {q['question']}"]
    for key, value in q["evidence"].items():
        lines.append(f"  {key}: {json.dumps(value) if isinstance(value, (dict, list)) else value}")
    lines += [f"  ! {w}" for w in q["warnings"]]
    for ex in q["examples"]:
        lines.append("  --- example " + ex.replace("\n", "\n      "))
    lines += [f"  - {o}{' (recommended)' if o == q['recommended'] else ''}: {q.get('explain', {}).get(o, '')}"
              for o in q["options"]]
    return "\n".join(lines)
