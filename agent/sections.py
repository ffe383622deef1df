"""Paper sections drafted by an LLM, every number checked (lesson: an AI writes fluent prose and gets a number
wrong; the tool must catch it first).

From a brief the agent assembles (config, metrics with intervals, pairs, the diagnosis breakdown, decisions and
trade-offs, example traces), the LLM drafts each section of `SECTIONS` into `paper/sections.md` (one
`<!-- sokrates:begin NAME -->` block each, so a re-draft keeps the human's text outside them). Then:
verify (the claim checker reads the section against the metrics), repair (what does not check out goes back to the
LLM once, with the checker's verdicts), mark (what still fails gets a visible `[unverified: …]` note beside the
number, never a silent change; the checker reports a marked number as a mismatch) and link (each verified number
becomes a link to its metrics file and key, like the template numbers). An LLM that fails or answers garbage leaves
the templates standing, with a warning."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml

from sokrates.io import read_json, read_jsonl, write_text

from .claims import check_text
from .claims.extraction import MARK
from .claims.index import MetricsIndex
from .llm import LLM, render_prompt
from .paper import METRICS, SKELETON, eval_stages, keep_version, stage_label, upsert_blocks, used_settings

SECTIONS = {  # block name: (title, what the section must say)
    "method": ("Method", "the SOKRATES method as this run applied it: optionized traces checked step by step by a "
               "strict solver, SFT, sampling, solver-verified preference pairs, DPO iterations"),
    "setup": ("Experimental setup", "model, data, training and sampling settings from the brief's configuration"),
    "results": ("Results", "the metrics of each stage with their 95% intervals, what changed from SFT to the last "
                "DPO iteration, and whether the intervals overlap"),
    "analysis": ("Analysis of failures", "which errors remain (the diagnosis breakdown) and what the example "
                 "traces show"),
    "limitations": ("Limitations", "what the results do not show: the trade-offs and decisions of the sessions, the "
                    "generated problems, the scale"),
}


def paper_brief(workspace: Path, run_id: str) -> str:
    """What the LLM may draw on, every figure as it stands in the metrics files."""
    run = Path(workspace) / "runs" / run_id
    cfg = yaml.safe_load((run / "config.yaml").read_text()) or {} if (run / "config.yaml").is_file() else {}
    lines = [f"# Run {run_id}", "", "## Configuration"]
    lines += [f"- {label}: {value}" for label, _, value in used_settings(cfg) if value is not None]
    lines.append(f"- SFT model: {'the shipped checkpoint ' + cfg['sft_checkpoint'] if cfg.get('sft_checkpoint') else 'trained in this run'}")
    lines += ["", "## Metrics (greedy decoding on the test problems; value [95% Wilson interval] (k/n))"]
    last = None
    for stage, path in eval_stages(run):
        s = read_json(path)
        lines.append(f"- {stage_label(stage)}: " + "; ".join(
            f"{label.lower()} {s[m]['value']:.3f} [{s[m]['ci95_low']:.3f}, {s[m]['ci95_high']:.3f}] ({s[m]['k']}/{s[m]['n']})"
            for m, label in METRICS if m in s) + f"; {s['n_problems']} test problems")
        causes = (s.get("diagnosis") or {}).get("first_error_causes") or {}
        if causes:
            top = sorted(causes.items(), key=lambda kv: -kv[1])[:4]
            lines.append("  - first invalid step, by cause: " + ", ".join(f"{c.replace('_', ' ')} {n}" for c, n in top))
        last = path
    k = 1
    while (run / f"dpo_iter{k}" / "pairs.json").is_file():
        p = read_json(run / f"dpo_iter{k}" / "pairs.json")
        lines.append(f"- DPO iteration {k} pairs: {p.get('pairs')} pairs from {p.get('problems_with_pairs')} of "
                     f"{p.get('problems')} sampled problems")
        k += 1
    lines += ["", "## Decisions and trade-offs (session logs)"] + (_session_notes(Path(workspace), run_id) or ["- none recorded"])
    lines += ["", "## Example traces (last evaluation)"] + (_examples(last) if last else ["- none"])
    return "\n".join(lines)


def _session_notes(workspace: Path, run_id: str) -> list[str]:
    out = []
    for path in sorted((workspace / "sessions" / ".events").glob("*.json")):
        rec = read_json(path)
        if rec.get("run") not in (None, run_id):
            continue
        for e in rec["events"]:
            if e["kind"] == "decision":
                out.append(f"- {e['gate']} gate: {e['choice']} ({e['who']}; recommended {e['recommended']})")
            elif e["kind"] == "tradeoff":
                out.append(f"- trade-off: {e['text']}")
    return out[-12:]


def _examples(summary_path: Path) -> list[str]:
    """One valid and one invalid trace of an evaluation, each with its problem's premises and query and the solver's
    verdict on the first bad step."""
    samples = summary_path.parent / "samples.jsonl"
    if not samples.is_file():
        return ["- none"]
    valid = invalid = None
    with samples.open() as f:
        for line in f:
            r = json.loads(line)
            if r.get("valid") and valid is None:
                valid = r
            elif not r.get("valid") and r.get("verifiable") and invalid is None:
                invalid = r
            if valid and invalid:
                break
    wanted = {r["problem_id"] for r in (valid, invalid) if r}
    problems = {}
    source = Path(read_json(summary_path).get("problems") or "")
    if source.is_file():
        problems = {p["id"]: p for p in read_jsonl(source) if p["id"] in wanted}
    out = []
    for name, r in (("a valid", valid), ("an invalid", invalid)):
        if r:
            bad = next((s for s in r["steps"] if not s["valid"]), None)
            why = f"; the solver: step {r['steps'].index(bad) + 1} ({bad['option']}) {bad['reason']}" if bad else ""
            p = problems.get(r["problem_id"])
            given = (["Premises: " + "; ".join(f"[{i}] {x}" for i, x in enumerate(p["premises"])),
                      f"Query: {p['query']} (answer {p['label']})"] if p else [])
            out += [f"- {name} trace ({r['hops']} hops{why}):", "```", *given, r["text"][:1200], "```"]
    return out or ["- none"]


# ---------------------------------------------------------------- drafting


def usable(text: str | None, own_heading: bool = False) -> str | None:
    """The LLM's answer as prose, or None when it is not prose (empty, JSON, markup, noise). A leading heading is
    dropped unless the text may have its own (the block adds the section's)."""
    if not text:
        return None
    text = re.sub(r"^```\w*\n|\n```\s*$", "", text.strip()).strip()
    if not own_heading:
        text = re.sub(r"^#+ .*\n+", "", text)
    words = re.findall(r"[A-Za-z]{2,}", text)
    if len(words) < 15 or text[:1] in "{[<" or sum(len(w) for w in words) < 0.5 * len(text):
        return None
    return text.strip()


def _as_written(value: float, text: str) -> str:
    """The checker's value at the precision the draft wrote its number ("0.700" -> 0.633, "1.44×" -> 1.27)."""
    digits = re.search(r"\.(\d+)", text)
    return f"{value:.{len(digits.group(1)) if digits else 0}f}" if abs(value) < 1e6 else f"{value:g}"


def verdict_lines(claims: list[dict], lines: bool = True) -> list[str]:
    """What the checker says about each number that did not check out (with its line in the section), for the repair
    prompt and the warnings."""
    out = []
    for c in claims:
        if c["status"] == "verified":
            continue
        where = f"`{c['text']}`" + (f" (line {c['line']})" if lines else "")
        if c["status"] == "mismatch" and c["expected"] is not None:
            out.append(f"- {where}: the metrics hold {_as_written(c['expected'], c['text'])} at {c['source']}")
        else:
            out.append(f"- {where}: no single metrics entry confirms it ({c['rule'] or 'no source'})")
    return out


def _occurrences(line: str, text: str) -> list[int]:
    return [m.start() for m in re.finditer(rf"(?<![\w.,]){re.escape(text)}(?![\w%×]|\]\()", line)]


def annotate(section: str, claims: list[dict], link) -> str:
    """Link each verified number to its source; mark each other one `[unverified: …]` beside it, unchanged."""
    lines = section.split("\n")
    by_line: dict[int, list[dict]] = {}
    for c in claims:
        by_line.setdefault(c["line"] - 1, []).append(c)
    for i, found in by_line.items():
        line, cursor, edits = lines[i], 0, []
        for c in found:
            at = next((p for p in _occurrences(line, c["text"]) if p >= cursor), None)
            if at is None:
                continue
            cursor = at + len(c["text"])
            if c["link"]:
                file, key = c["link"].split(":", 1)
                edits.append((at, cursor, link(file, key, c["text"])))
            elif c["status"] != "verified":
                why = (f"the metrics hold {_as_written(c['expected'], c['text'])} ({c['source']})" if c["status"] == "mismatch" and
                       c["expected"] is not None else "no single metrics entry confirms it")
                edits.append((at, cursor, f"{c['text']} [{MARK}: {why}]"))
        for a, b, new in reversed(edits):
            line = line[:a] + new + line[b:]
        lines[i] = line
    return "\n".join(lines)


def checked_draft(llm: LLM, prompt: str, title: str, brief: str, check, warn,
                  headings: bool = False) -> tuple[str, list[dict]] | None:
    """LLM text from `prompt`: drafted, verified by `check`, repaired once with the checker's verdicts, verified
    again. (text, claims of the final text) or None when the LLM gives nothing usable."""
    text = usable(llm.text(prompt), headings)
    if text is None:
        warn(f"the LLM gave no usable draft of '{title}'")
        return None
    claims = check(text)
    problems = verdict_lines(claims)
    if problems:
        repaired = usable(llm.text(render_prompt("paper_repair.md", title=title, verdicts="\n".join(problems),
                                                 text=text, brief=brief)), headings)
        if repaired is None:
            warn(f"the LLM's repair of '{title}' was not usable; its first draft is kept, marked")
        else:
            text, claims = repaired, check(repaired)
    return text, claims


def _checker(out: Path, metrics: Path):
    """For text that will stand at `out`: a link maker for verified numbers and the check itself."""
    def link(file: str, key: str, text: str) -> str:
        return f"[{text}]({os.path.relpath((metrics / file).resolve(), out.parent.resolve())}#{key})"

    index = MetricsIndex.load(metrics)  # once for every check of the pass

    def check(text: str) -> list[dict]:
        return check_text(text, out, index)
    return link, check


def draft_log_insight(log_path: Path, evidence: str, workspace: Path, run_id: str | None, llm: LLM,
                      warn=print) -> str | None:
    """What worked, what didn't (with the likely cause) and what to try next, drafted by the LLM from a session log's
    evidence (its rules-written sections, and the run's brief), every number checked like a paper's."""
    brief = evidence + ("\n\n" + paper_brief(workspace, run_id) if run_id and (workspace / "runs" / run_id).is_dir() else "")
    link, check = _checker(log_path, workspace / "runs")
    drafted = checked_draft(llm, render_prompt("log_insight.md", brief=brief), "session insight", brief, check, warn,
                            headings=True)
    if drafted is None:
        return None
    text, claims = drafted
    for line in verdict_lines(claims, lines=False):
        warn(f"marked unverified in the session log's analysis: {line[2:]}")
    return annotate(text, claims, link)


def draft_sections(workspace: Path, run_id: str, llm: LLM, warn=print, out: Path | None = None) -> Path | None:
    """Draft every section into paper/sections.md; None (and the templates stand) when the LLM fails."""
    workspace = Path(workspace)
    out = out or workspace / "paper" / "sections.md"
    metrics = workspace / "runs"
    brief = paper_brief(workspace, run_id)

    link, check = _checker(out, metrics)
    blocks, marked = {}, []
    for name, (title, what) in SECTIONS.items():
        prompt = render_prompt("paper_section.md", title=title, what=what, brief=brief)
        drafted = checked_draft(llm, prompt, title, brief, check, warn)
        if drafted is None:
            warn("LLM drafting stopped; the template sections in results.md stand")
            return None
        text, claims = drafted
        marked += [f"{title}: {line[2:]}" for line in verdict_lines(claims, lines=False)]
        blocks[name] = f"## {title}\n\n" + annotate(text, claims, link)
    current = out.read_text(encoding="utf-8") if out.is_file() else \
        (SKELETON / "sections.md").read_text(encoding="utf-8").replace("{run_id}", run_id)
    write_text(out, upsert_blocks(current, blocks))
    keep_version(out, metrics)
    for line in marked:
        warn(f"marked unverified in {out.name}: {line}")
    return out
