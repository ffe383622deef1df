"""What a session's evidence concludes, for its log: what worked, what didn't (with the cause the rules can name)
and the next steps, from the events and the gates' rules; no LLM (its reading is the log's Analysis section,
`agent/sections.py`)."""
from __future__ import annotations

from sokrates.io import DataError


def worked_and_didnt(ev: list[dict]) -> tuple[list[str], list[str]]:
    """The log's "What worked" and "What didn't": measured changes with their intervals, the SFT figures (at chance
    or not), the pairs against the gate's rule, training steps, failures."""
    worked, didnt = [], []
    for e in ev:
        if e["kind"] == "step" and e.get("comparison"):
            for m, c in e["comparison"].items():
                line = f"{m} after iteration {e['iteration']}: {c['before']:.3f} → {c['after']:.3f}"
                if c["change"] > 0 and not c["intervals_overlap"]:
                    worked.append(line + " (95% intervals do not overlap)")
                else:
                    didnt.append(line + (" (within the 95% intervals: no measurable gain)" if c["change"] > 0 else
                                         " (a measurable drop: the 95% intervals do not overlap)"
                                         if not c["intervals_overlap"] else " (within the 95% intervals)"))
        elif e["kind"] == "step" and e["step"] == "eval" and not e.get("iteration"):  # DPO: the comparisons say it
            figs = e["figures"]
            line = "SFT: " + "; ".join(f"{m.replace('_', ' ')} {figs[m]}" for m in ("accuracy", "step_validity")
                                       if m in figs)
            if figs.get("first_errors") not in (None, "none"):
                line += f"; what goes wrong first: {figs['first_errors']}"
            chance = any(d["kind"] == "decision" and d.get("gate") == "eval" and "at chance" in d.get("question", "")
                         for d in ev)
            (didnt if chance else worked).append(line + (" — at chance: the model answers no better than always "
                                                         "giving the commonest label" if chance else ""))
        elif e["kind"] == "step" and e["step"] == "pairs":
            figs = e["figures"]
            asked = next((d for d in ev if d["kind"] == "decision" and d.get("gate") == "pairs"
                          and d.get("iteration") == e.get("iteration")), None)
            line = (f"DPO iteration {e['iteration']} got {figs.get('pairs')} pairs from "
                    f"{figs.get('problems_with_pairs')} problems")
            if asked and asked["recommended"] != "proceed":
                didnt.append(line + f": too few to move the model (the gate recommended {asked['recommended']}, "
                                    f"chose {asked['choice']})")
            else:
                worked.append(line)
        elif e["kind"] == "step" and e["step"] == "sft" and e["figures"].get("from_checkpoint"):
            worked.append(f"SFT was not trained in this session: the run started from the shipped checkpoint "
                          f"{e['figures']['from_checkpoint']} (its checkpoint.json says how it was made)")
        elif e["kind"] == "step" and e["step"] in ("sft", "dpo"):
            worked.append(f"{e['step']}" + (f" {e['iteration']}" if e.get("iteration") is not None else "") +
                          " trained" + (f": final loss {e['figures']['final_loss']}" if "final_loss" in e["figures"] else ""))
        elif e["kind"] == "failure":
            didnt.append(e["text"])
    return worked, didnt


def _pairs_enough(log, report: dict) -> bool:
    """The pairs gate's rule (sokrates.pairs.pairs_verdict) at the run's DPO settings."""
    from sokrates.loop import Run
    try:
        return Run.open(log.workspace, log.record.get("run") or "", log=lambda m: None).pairs_verdict(report)[0]
    except DataError:  # the run's config is gone: no verdict
        return False


def next_steps(log, status: str, state: dict) -> list[str]:
    """The log's "Next steps": overridden recommendations, what the last comparison and the pairs say, claims to
    fix, and for a stopped session why it stopped."""
    steps = []
    results = state.get("results", {})
    evals = sorted(k for k in results if k.startswith("eval:"))
    last = int(evals[-1].split(":")[1]) if evals else None
    overridden = [d for d in state.get("decisions", []) if d["choice"] != d["recommended"] and d["gate"] != "plan"]
    why = {"eval": "the SFT model was at chance", "pairs": "there were too few DPO pairs to move the model",
           "sample": "the sample check found problems", "claims": "claims in the draft do not check out"}
    for d in overridden:
        because = d.get("because") or why.get(d["gate"], "of its evidence")
        steps.append(f"the {d['gate']} gate recommended {d['recommended']} because {because}, "
                     f"but {d['choice']} was chosen ({d['who']}): consider {d['recommended']}")
    compared = results.get(f"compare:{last}", {}).get("comparison", {}).get("step_validity") if last else None
    pairs = results.get(f"pairs:{last}", {}) if last else {}
    enough = bool(pairs.get("problems")) and _pairs_enough(log, pairs)
    if status == "done" and compared and (compared["change"] <= 0 or compared["intervals_overlap"]) and enough:
        steps.append(f"step validity did not measurably rise in iteration {last} although {pairs['pairs']} pairs came "
                     f"from {pairs['problems_with_pairs']}/{pairs['problems']} problems: the pairs are not the limit, "
                     "what DPO learns from them is (look at which first-error causes DPO changed; docs/experiments.md "
                     "lists the DPO settings tried)")
    elif status == "done" and compared and (compared["change"] <= 0 or compared["intervals_overlap"]):
        steps.append(f"step validity did not measurably rise in iteration {last}: more DPO on so few valid samples is "
                     "unlikely to help; improve SFT first (the first-error causes above say which skill is missing)")
    elif status == "done" and last is not None:
        steps.append(f'sokrates-agent start "run iteration {last + 1}" to continue DPO')
    claims = results.get("claims:", {})
    if claims and (claims.get("mismatch") or claims.get("unsupported")):
        steps.append(f"fix {claims['mismatch'] + claims['unsupported']} paper claim(s) that do not check out")
    final = (state.get("decisions") or [{}])[-1]
    if status in ("aborted", "stopped") and final.get("gate") == "eval" and final.get("iteration") == 0:
        steps.append("the SFT model stayed at chance after retraining: DPO needs valid samples. Read the first-error "
                     "causes above; train longer or a larger model (`--model DIR`, a local model folder)")
    elif status in ("aborted", "stopped") and final.get("gate") == "pairs":
        steps.append("too few DPO pairs after resampling and retraining: the SFT model rarely writes a valid trace; "
                     "improve SFT first (see the first-error causes above)")
    if status in ("aborted", "stopped"):
        steps.append("review the decisions above; `sokrates-agent start` with a new goal when ready")
    return steps
