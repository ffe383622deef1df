"""Paper drafts from the metrics files. Generated parts sit between `<!-- sokrates:begin NAME -->` and
`<!-- sokrates:end NAME -->` markers; re-drafting replaces only those blocks and keeps human edits
elsewhere. Every generated number is a link to its source file with the key as the fragment,
`[0.743](../runs/run1/sft/eval/summary.json#accuracy.value)`: a reader can follow it and the claim
checker reads it."""
from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from sokrates.io import read_json, write_json, write_text
from sokrates.pairs import METHOD_CHANGES

SKELETON = Path(__file__).resolve().parent.parent / "paper"  # the files a workspace's first draft starts from
METRICS = (("accuracy", "Accuracy"), ("step_validity", "Step validity"), ("trace_validity", "Trace validity"))


def stage_label(stage: str) -> str:
    return "SFT" if stage == "sft" else f"+ DPO iter{stage.removeprefix('dpo_iter')}"


def eval_stages(run_dir: Path) -> list[tuple[str, Path]]:
    out = []
    if (run_dir / "sft" / "eval" / "summary.json").is_file():
        out.append(("sft", run_dir / "sft" / "eval" / "summary.json"))
    k = 1
    while (run_dir / f"dpo_iter{k}" / "eval" / "summary.json").is_file():
        out.append((f"dpo_iter{k}", run_dir / f"dpo_iter{k}" / "eval" / "summary.json"))
        k += 1
    return out


class Linker:
    """Numbers as links to their source, relative to the draft's folder."""

    def __init__(self, paper_dir: Path):
        self.paper_dir = paper_dir

    def __call__(self, value: float, path: Path, key: str, fmt: str = "{:.3f}") -> str:
        rel = os.path.relpath(path.resolve(), self.paper_dir.resolve())
        return f"[{fmt.format(value)}]({rel}#{key})"


def results_table(run_dir: Path, link: Linker) -> str:
    rows = ["| Model | " + " | ".join(h for _, h in METRICS) + " | n |", "|---|---|---|---|---|"]
    for stage, path in eval_stages(run_dir):
        s = read_json(path)
        cells = [f"{link(s[m]['value'], path, f'{m}.value')} [{link(s[m]['ci95_low'], path, f'{m}.ci95_low')}, "
                 f"{link(s[m]['ci95_high'], path, f'{m}.ci95_high')}]" for m, _ in METRICS]
        rows.append(f"| {stage_label(stage)} | " + " | ".join(cells) + f" | {link(s['n_problems'], path, 'n_problems', '{}')} |")
    return "\n".join(rows)


SETUP = [("Model", "model"), ("Training problems", "data.n_train"), ("Training-problem seed", "data.seed_train"),
         ("Test problems", "data.n_test"), ("Hops", "data.max_hops"), ("SFT epochs", "sft.epochs"),
         ("SFT learning rate", "sft.learning_rate"), ("SFT batch size", "sft.batch_size"),
         ("Samples per problem", "sample.samples_per_problem"), ("Sampling temperature", "sample.temperature"), ("DPO iterations", "iterations"), ("DPO beta", "dpo.beta"),
         ("DPO learning rate", "dpo.learning_rate"), ("DPO epochs", "dpo.epochs"), ("Pairs per problem", "pairs_per_problem")]


def dotted(cfg: dict, key: str):
    """A config value by its dotted name ("dpo.learning_rate"), None when absent."""
    for part in key.split("."):
        cfg = cfg.get(part) if isinstance(cfg, dict) else None
    return cfg


def used_settings(cfg: dict) -> list[tuple[str, str, object]]:
    """(label, key, value) of the SETUP rows the run used: a run from a shipped SFT checkpoint did not use its own
    sft.* settings (the checkpoint's recipe says how SFT ran)."""
    return [(label, key, dotted(cfg, key)) for label, key in SETUP
            if not (key.startswith("sft.") and cfg.get("sft_checkpoint"))]


def setup_table(run_dir: Path, link: Linker) -> str:
    path = run_dir / "config.yaml"
    cfg = yaml.safe_load(path.read_text()) or {}
    rows = ["| Setting | Value |", "|---|---|"]
    for label, key, value in used_settings(cfg):
        if key == "model":
            value = value or "embedded tiny Llama (from scratch)"
            rows.append(f"| {label} | {value} |")
            if cfg.get("sft_checkpoint"):
                rows.append(f"| SFT model | the shipped checkpoint {cfg['sft_checkpoint']} (not trained in this run; "
                            "its checkpoint.json says how it was made) |")
        elif isinstance(value, (int, float)):
            rows.append(f"| {label} | {link(value, path, key, '{:g}')} |")
    losses = dotted(cfg, "dpo.loss_type")
    if losses and list(losses) != ["sigmoid"]:
        weights = dotted(cfg, "dpo.loss_weights")
        rows.append(f"| DPO loss | {' + '.join(losses)}" + (f" (weights {weights})" if weights else "") +
                    " (TRL's loss types; `sft` is the NLL of the chosen trace) |")
    if dotted(cfg, "sft.trace_style") not in (None, "plain"):
        rows.append(f"| Trace style | {dotted(cfg, 'sft.trace_style')} |")
    rows += [f"| Method change | {text} (`{key}`) |" for key, text in METHOD_CHANGES.values() if dotted(cfg, key)]
    return "\n".join(rows)


def narrative(run_dir: Path, link: Linker) -> str:
    stages = eval_stages(run_dir)
    if not stages:
        return "No evaluation has been run yet."
    template = (Path(__file__).resolve().parent.parent / "prompts" / "results_narrative.md").read_text()
    (_, fpath), (last, lpath) = stages[0], stages[-1]
    f, l = read_json(fpath), read_json(lpath)
    values = {"n": link(f["n_problems"], fpath, "n_problems", "{}"), "last": stage_label(last)}
    for m, _ in METRICS:
        values[f"sft_{m}"] = link(f[m]["value"], fpath, f"{m}.value")
        values[f"last_{m}"] = link(l[m]["value"], lpath, f"{m}.value")
        overlap = not (f[m]["ci95_high"] < l[m]["ci95_low"] or l[m]["ci95_high"] < f[m]["ci95_low"])
        values[f"{m}_overlap"] = "overlap" if overlap else "do not overlap"
    return template.format(**values).strip()


def limitations(workspace: Path) -> str:
    """From the trade-offs recorded in the session logs, plus the limits that always apply."""
    notes = []
    events_dir = workspace / "sessions" / ".events"
    for path in sorted(events_dir.glob("*.json")) if events_dir.is_dir() else []:
        rec = read_json(path)
        notes += [f"{e['text']} (session log `sessions/{rec['file']}`)" for e in rec["events"] if e["kind"] == "tradeoff"]
    base = ("Problems are generated PrOntoQA-style ontologies with fictional concepts, so the results say nothing "
            "about natural-language reasoning in the wild. Step validity is measured by a strict symbolic solver over "
            "the option vocabulary; FOLIO-style problems outside its grammar count for answer accuracy only.")
    return base + ("\n\nTrade-offs made during the experiments:\n" + "\n".join(f"- {n}" for n in notes) if notes else "")


def latex_table(run_dir: Path) -> str:
    """The skeleton's LaTeX table with one row per evaluated stage."""
    rows = []
    for stage, path in eval_stages(run_dir):
        s = read_json(path)
        cells = [f"{s[m]['value']:.3f} [{s[m]['ci95_low']:.3f}, {s[m]['ci95_high']:.3f}]" for m, _ in METRICS]
        rows.append(stage_label(stage).replace("+", r"+\,") + " & " + " & ".join(cells) + r" \\" + "\n")
    return (SKELETON / "results_table.tex").read_text(encoding="utf-8").replace("%% sokrates:rows\n", "".join(rows))


def upsert_blocks(text: str, blocks: dict[str, str]) -> str:
    """Replace each named generated block in `text`, appending blocks that are not there yet."""
    for name, body in blocks.items():
        block = f"<!-- sokrates:begin {name} -->\n{body.strip()}\n<!-- sokrates:end {name} -->"
        pattern = re.compile(rf"<!-- sokrates:begin {name} -->\n.*?<!-- sokrates:end {name} -->", re.S)
        text = pattern.sub(lambda _, b=block: b, text) if pattern.search(text) else text.rstrip() + f"\n\n{block}\n"
    return text


def draft_results(workspace: Path, run_id: str, out: Path | None = None) -> Path:
    """Write (or update) paper/results.md and paper/results_table.tex for one run."""
    workspace = Path(workspace)
    run_dir = workspace / "runs" / run_id
    out = out or workspace / "paper" / "results.md"
    link = Linker(out.parent)
    text = out.read_text() if out.is_file() else \
        (SKELETON / "results.md").read_text(encoding="utf-8").replace("{run_id}", run_id)
    if not (out.parent / "README.md").exists():  # the workspace's paper folder says how it is drafted
        write_text(out.parent / "README.md", (SKELETON / "README.md").read_text(encoding="utf-8"))
    text = upsert_blocks(text, {"setup-table": "## Experimental setup\n\n" + setup_table(run_dir, link),
                                "results-table": "## Main results\n\n" + results_table(run_dir, link),
                                "results-narrative": narrative(run_dir, link),
                                "limitations": "## Limitations\n\n" + limitations(workspace)})
    write_text(out, text)
    write_text(out.with_name("results_table.tex"), latex_table(run_dir))
    keep_version(out, workspace / "runs")
    return out


def _versions(paper_dir: Path, stem: str) -> list[Path]:
    return sorted((paper_dir / "versions").glob(f"{stem}-[0-9][0-9][0-9].md"))


def keep_version(out: Path, metrics_dir: Path) -> Path | None:
    """Keep a draft that changed since its last version as paper/versions/<stem>-NNN.md (links rewritten for that
    folder) with its claims report beside it (<stem>-NNN.claims.json). None when nothing changed."""
    from .claims import check_paths
    text = out.read_text(encoding="utf-8").replace("](../", "](../../")
    kept = _versions(out.parent, out.stem)
    if kept and kept[-1].read_text(encoding="utf-8") == text:
        return None
    path = out.parent / "versions" / f"{out.stem}-{len(kept) + 1:03d}.md"
    write_text(path, text)
    report = check_paths([path], metrics_dir)
    write_json(path.with_suffix(".claims.json"), {"summary": report["summary"], "claims": report["claims"]})
    return path


def version_diff(paper_dir: Path, stem: str = "results") -> str:
    """What changed between the last two versions of a draft: its text (a unified diff) and its verified numbers,
    by the metrics key each one comes from."""
    import difflib
    kept = _versions(paper_dir, stem)
    if len(kept) < 2:
        return (f"{paper_dir / 'versions'}: {len(kept)} version(s) of {stem}.md so far; a diff needs two (a draft is kept "
                "as a new version whenever it changes)")
    old, new = kept[-2:]

    def numbers(path: Path) -> dict:
        claims = read_json(path.with_suffix(".claims.json"))["claims"]
        return {c["source"]: c["text"] for c in claims if c.get("source") and c["status"] == "verified"}
    a, b = numbers(old), numbers(new)
    changed = [f"  {src}: {a.get(src, '-')} -> {b.get(src, '-')}" for src in sorted(set(a) | set(b))
               if a.get(src) != b.get(src)]
    text = difflib.unified_diff(old.read_text(encoding="utf-8").splitlines(), new.read_text(encoding="utf-8").splitlines(),
                                old.name, new.name, lineterm="", n=0)
    return "\n".join([*text, "", f"numbers changed ({len(changed)}):", *changed])
