"""A corpus for scoring the claim checker: metrics folders in six layouts and drafts written the way people
write papers (Markdown and LaTeX), every number registered with the verdict it must get.

`Draft.ok(text)` writes a correct claim, `Draft.bad(text, source)` a wrong one (a subtle kind: the value of the
next row or column, a stale value, a wrong rounding, a ratio from the wrong pair, a Wald interval written as
Wilson) that must be a mismatch against `source`; numbers written as plain text are non-claims (section and table
numbers, years, model names, citations) that must not be flagged."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sokrates.metrics import rate


@dataclass
class Draft:
    name: str
    parts: list = field(default_factory=list)
    expect: list = field(default_factory=list)   # (written text, "verified" | "mismatch", source fragment, kind)

    def ok(self, text: str) -> str:
        self.expect.append((text, "verified", None, "correct"))
        return text

    def bad(self, text: str, source: str, kind: str) -> str:
        self.expect.append((text, "mismatch", source, kind))
        return text


def gap(a: float, b: float) -> str:
    return f"{(a - b) * 100:.1f}"


def pct(x: float, d: int = 1) -> str:
    return f"{x * 100:.{d}f}"


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(obj, indent=1))
    elif path.suffix in (".yaml", ".yml"):
        path.write_text(yaml.safe_dump(obj))
    else:
        path.write_text(obj)


# ------------------------------------------------------------------ layout 1: the tool's own runs/ folder

OWN = {"sft": (941, 1150, 152), "dpo_iter1": (952, 2571, 388), "dpo_iter2": (968, 3766, 701), "dpo_iter3": (983, 4133, 955)}
OWN_STEPS = {"sft": 4213, "dpo_iter1": 4180, "dpo_iter2": 4199, "dpo_iter3": 4207}
PAIRS = {"dpo_iter1": (1594, 812), "dpo_iter2": (1203, 655), "dpo_iter3": (344, 190)}
CHECK_ACC = {"dpo_iter1": (2980, 4000), "dpo_iter2": (3410, 4000), "dpo_iter3": (3788, 4000)}


def own_layout(root: Path) -> None:
    run = root / "runs" / "main"
    for stage, (acc, steps, traces) in OWN.items():
        _write(run / stage / "eval" / "summary.json",
               {"stage": stage, "n_problems": 1000, "accuracy": rate(acc, 1000),
                "step_validity": rate(steps, OWN_STEPS[stage]), "trace_validity": rate(traces, 1000)})
    for stage, (pairs, problems) in PAIRS.items():
        _write(run / stage / "pairs.json", {"pairs": pairs, "problems_with_pairs": problems, "problems": 1000})
        k, n = CHECK_ACC[stage]
        _write(run / stage / "check.json", {"accuracy": rate(k, n), "samples": n})
    _write(run / "data" / "check.json", {"train": 14346, "test": 1000, "errors": 0})
    _write(run / "config.yaml", {"iterations": 3, "sample": {"temperature": 0.7, "samples_per_problem": 4},
                                 "dpo": {"beta": 0.1, "learning_rate": 5e-7, "epochs": 2},
                                 "sft": {"learning_rate": 2e-5, "epochs": 3, "batch_size": 64}})
    _write(run / "sft" / "summary.json", {"final_loss": 0.412, "examples": 14346, "steps": 673})


def own_markdown() -> Draft:
    d = Draft("own.md")
    sv = {k: OWN[k][1] / OWN_STEPS[k] for k in OWN}
    gain = f"{(sv['dpo_iter3'] - sv['sft']) * 100:.1f}"
    d.parts += [
        "# 4 Results\n\n",
        f"We train on {d.ok('14,346')} generated problems and evaluate on {d.ok('1,000')} held-out problems "
        f"(Section 3, following [4]). After SFT the model answers {d.ok('94.1%')} of the test problems\ncorrectly, "
        f"but only {d.ok(pct(sv['sft']) + '%')} of its steps are valid. Three DPO iterations raise step validity from "
        f"{d.ok(pct(sv['sft']) + '%')} to {d.ok(pct(sv['dpo_iter3']) + '%')}, a gain of "
        f"{d.ok(gain + ' points')}, while accuracy rises from {d.ok('94.1%')} to "
        f"{d.ok('98.3%')}.\n\n",
        f"Trace validity follows: {d.ok('15.2%')} after SFT, {d.ok('38.8%')} after DPO iteration 1 and "
        f"{d.bad('95.8%', 'dpo_iter3/eval', 'wrong rounding')} after DPO iteration 3.\n\n",
        f"DPO iteration 1 trained on {d.ok('1,594')} pairs from {d.ok('812')} problems; iteration 2 on "
        f"{d.ok('1,203')} pairs and iteration 3 on only {d.bad('355', 'dpo_iter3/pairs', 'stale value')} pairs, as "
        f"most problems no longer produce an invalid sample.\n\n",
        f"We sample {d.ok('4')} samples per problem at temperature {d.ok('0.7')} and train DPO with "
        f"β = {d.ok('0.1')} and a learning rate of {d.ok('5e-7')} for {d.ok('2')} epochs.\n\n",
        f"The sample check of iteration 2 finds {d.ok('85.3%')} of the sampled answers correct "
        f"({d.ok('3,410/4,000')}).\n\n",
        "Table 2: Evaluation on the test set (greedy), 95% Wilson intervals.\n\n",
        "| Model | Accuracy | Step validity | Trace validity |\n|---|---|---|---|\n",
    ]
    rows = [("SFT", "sft"), ("+ DPO iter1", "dpo_iter1"), ("+ DPO iter2", "dpo_iter2"), ("+ DPO iter3", "dpo_iter3")]
    for label, stage in rows:
        acc, steps, traces = OWN[stage]
        cells = [acc / 1000, sv[stage], traces / 1000]
        texts = []
        for col, v in enumerate(cells):
            t = pct(v)
            if (stage, col) == ("dpo_iter2", 1):  # the next row's value: right number, wrong cell
                texts.append(d.bad(pct(sv["dpo_iter3"]), "dpo_iter2/eval", "wrong row"))
            elif (stage, col) == ("dpo_iter1", 2):
                texts.append(d.bad(pct(cells[1]), "dpo_iter1/eval", "wrong column"))
            else:
                texts.append(d.ok(t))
        d.parts.append(f"| {label} | " + " | ".join(texts) + " |\n")
    lo, hi = rate(*OWN["dpo_iter3"][:1], 1000)["ci95_low"], rate(OWN["dpo_iter3"][0], 1000)["ci95_high"]
    d.parts += [
        f"\nAfter iteration 3 the accuracy is {d.ok('98.3%')} (95% Wilson CI [{d.ok(pct(lo) + '%')}, "
        f"{d.ok(pct(hi) + '%')}]); after SFT it is {d.ok('0.941')} "
        f"[{d.bad(f'{0.941 - 1.96 * (0.941 * 0.059 / 1000) ** 0.5:.3f}', 'sft/eval', 'wald as wilson')}, "
        f"{d.bad(f'{0.941 + 1.96 * (0.941 * 0.059 / 1000) ** 0.5:.3f}', 'sft/eval', 'wald as wilson')}] with 95% Wilson "
        "intervals.\n\n",
        f"Step validity after DPO iteration 1 is {d.ok(pct(sv['dpo_iter1'], 2) + '%')} and after DPO iteration 2 it is "
        f"{d.ok(pct(sv['dpo_iter2'], 2) + '%')}.\n",
    ]
    return d


def own_latex() -> Draft:
    d = Draft("own.tex")
    sv = {k: OWN[k][1] / OWN_STEPS[k] for k in OWN}
    gain = f"{(sv['dpo_iter3'] - sv['sft']) * 100:.1f}"
    d.parts += [
        "\\section{Results}\n",
        "% numbers below come from runs/main\n",
        f"SFT reaches an accuracy of {d.ok('94.1')}\\% and a step validity of {d.ok(pct(sv['sft']))}\\%; after three\n"
        f"iterations of DPO the step validity is {d.ok(pct(sv['dpo_iter3']))}\\% "
        f"($+{d.ok(gain)}$ points), see Table~\\ref{{tab:main}}.\n\n",
        f"Pairs shrink from {d.ok('1,594')} in iteration 1 to {d.ok('344')} in iteration 3.\n\n",
        "\\begin{table}[t]\n\\centering\n\\caption{Results of SOKRATES (\\%).}\\label{tab:main}\n",
        "\\begin{tabular}{lccc}\n\\toprule\nStage & Accuracy & Step validity & Trace validity \\\\\n\\midrule\n",
    ]
    for label, stage in (("SFT", "sft"), ("DPO iteration 1", "dpo_iter1"), ("DPO iteration 2", "dpo_iter2"),
                         ("DPO iteration 3", "dpo_iter3")):
        acc, steps, traces = OWN[stage]
        vals = [pct(acc / 1000), pct(sv[stage]), pct(traces / 1000)]
        cells = [d.bad(pct(OWN["dpo_iter2"][0] / 1000), "dpo_iter3/eval", "stale value") if (stage, i) == ("dpo_iter3", 0)
                 else d.ok(v) for i, v in enumerate(vals)]
        d.parts.append(f"{label} & " + " & ".join(f"\\textbf{{{c}}}" if stage == "dpo_iter3" else c for c in cells)
                       + " \\\\\n")
    d.parts.append("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
    return d


# ------------------------------------------------------------------ layout 2: a nested aggregate + checkpoints

AGG = {"prontoqa": {"cot_baseline": {"final": {"accuracy": 0.874, "step_validity": 0.412}},
                    "sokrates": {"sft": {"accuracy": 0.942, "step_validity": 0.273},
                                 "dpo_iter1": {"accuracy": 0.951, "step_validity": 0.694},
                                 "dpo_iter3": {"accuracy": 0.983, "step_validity": 0.987}}},
       "folio": {"cot_baseline": {"final": {"accuracy": 0.601, "step_validity": 0.188}},
                 "sokrates": {"sft": {"accuracy": 0.612, "step_validity": 0.121},
                              "dpo_iter1": {"accuracy": 0.633, "step_validity": 0.305},
                              "dpo_iter3": {"accuracy": 0.659, "step_validity": 0.402}}}}


def aggregate_layout(root: Path) -> None:
    base = root / "paper_results"
    _write(base / "results" / "aggregate.json", AGG)
    for ds, methods in AGG.items():
        for stage, m in methods["sokrates"].items():
            _write(base / "eval" / f"{ds}-{stage.replace('_', '-')}" / "summary.json", dict(m))
    _write(base / "train" / "sft_summary.json", {"final_loss": 0.318, "wall_s": 5423, "examples": 14346})


def _aggregate_cells(d: Draft, method: str, stage: str, planted: dict) -> list[str]:
    """One row of an aggregate table (accuracy and step validity on PrOntoQA, then FOLIO), in percent; `planted` maps
    (dataset, stage, metric) to a wrong (text, source, kind) written in that cell instead."""
    cells = []
    for ds in ("prontoqa", "folio"):
        for metric in ("accuracy", "step_validity"):
            wrong = planted.get((ds, stage, metric))
            cells.append(d.bad(*wrong) if wrong else d.ok(pct(AGG[ds][method][stage][metric])))
    return cells


def aggregate_latex() -> Draft:
    d = Draft("aggregate.tex")
    a = AGG
    d.parts += [
        "\\section{Main results}\n",
        f"On PrOntoQA, SOKRATES lifts step validity from {d.ok('27.3')}\\% after SFT to {d.ok('98.7')}\\% after\n"
        f"the third DPO iteration, while the chain-of-thought baseline reaches {d.ok('41.2')}\\%. On FOLIO the\n"
        f"gains are smaller: accuracy {d.ok('61.2')}\\% $\\rightarrow$ {d.ok('65.9')}\\%.\n\n",
        f"SFT converged to a loss of {d.ok('0.318')} after {d.ok('5,423')} seconds of training.\n\n",
        "\\begin{table*}[t]\n\\caption{Accuracy and step validity (\\%) on both datasets, released in 2024.}\n",
        "\\begin{tabular}{lcccc}\n\\toprule\n",
        "& \\multicolumn{2}{c}{PrOntoQA} & \\multicolumn{2}{c}{FOLIO} \\\\\n",
        "\\cmidrule(lr){2-3}\\cmidrule(lr){4-5}\n",
        "Method & Acc. & Step valid. & Acc. & Step valid. \\\\\n\\midrule\n",
    ]
    rows = [("CoT baseline", "cot_baseline", "final"), ("SOKRATES (SFT)", "sokrates", "sft"),
            ("+ DPO iter1", "sokrates", "dpo_iter1"), ("+ DPO iter3", "sokrates", "dpo_iter3")]
    planted = {("folio", "dpo_iter1", "step_validity"): (pct(a["prontoqa"]["sokrates"]["dpo_iter1"]["step_validity"]),
                                                       "folio", "wrong column group"),
               ("prontoqa", "dpo_iter3", "accuracy"): ("98.4", "prontoqa", "wrong rounding")}
    for label, method, stage in rows:
        d.parts.append(f"{label} & " + " & ".join(_aggregate_cells(d, method, stage, planted)) + " \\\\\n")
    d.parts.append("\\bottomrule\n\\end{tabular}\n\\end{table*}\n")
    return d


# ------------------------------------------------------------------ layout 3: per-checkpoint folders, JSONL log

CKPT = {500: (0.712, 0.101, 0.91), 1000: (0.845, 0.188, 0.52), 2000: (0.921, 0.254, 0.33), 4000: (0.941, 0.273, 0.29)}


def checkpoint_layout(root: Path) -> None:
    base = root / "ckpt_run"
    for step, (acc, sv, loss) in CKPT.items():
        _write(base / "checkpoints" / f"checkpoint-{step}" / "eval_results.json",
               {"eval_accuracy": acc, "eval_step_validity": sv, "eval_loss": loss})
    lines = ["# SOKRATES Training Metrics Log"] + [json.dumps({"step": s, "loss": round(v[2] + 0.05, 3)})
                                                   for s, v in CKPT.items()]
    _write(base / "logs" / "metrics.jsonl", "\n".join(lines) + "\n")


def checkpoint_markdown() -> Draft:
    d = Draft("checkpoints.md")
    d.parts += ["## Learning curve\n\nTable 3: Held-out evaluation of SFT checkpoints.\n\n",
                "| Checkpoint | Accuracy | Step validity | Eval loss |\n|---|---|---|---|\n"]
    for step, (acc, sv, loss) in CKPT.items():
        cells = [d.ok(f"{acc:.3f}"), d.ok(f"{sv:.3f}") if step != 1000 else d.bad("0.254", "checkpoint-1000", "wrong row"),
                 d.ok(f"{loss:.2f}")]
        d.parts.append(f"| checkpoint-{step} | " + " | ".join(cells) + " |\n")
    d.parts.append(f"\nAccuracy climbs from {d.ok('71.2%')} at checkpoint 500 to {d.ok('94.1%')} at checkpoint 4000, "
                   "with most of the gain before step 2000 (Figure 2).\n")
    return d


# ------------------------------------------------------------------ layout 4: CSV tables

CSV_MAIN = [("SFT", "PrOntoQA", 0.942, 0.273, 0.152), ("SFT+DPO", "PrOntoQA", 0.983, 0.981, 0.955),
            ("SFT", "ProofWriter", 0.881, 0.344, 0.201), ("SFT+DPO", "ProofWriter", 0.915, 0.902, 0.811)]
ABLATION = [("full method", 0.983, 0.981), ("no distractors in training", 0.961, 0.874),
            ("gold proofs as chosen", 0.975, 0.942), ("one sample per problem", 0.958, 0.713)]


def csv_layout(root: Path) -> None:
    base = root / "tables"
    _write(base / "main_results.csv", "method,dataset,accuracy,step_validity,trace_validity\n" +
           "".join(f"{m},{ds},{a},{s},{t}\n" for m, ds, a, s, t in CSV_MAIN))
    _write(base / "ablation.csv", "setting,accuracy,step_validity\n" + "".join(f"{n},{a},{s}\n" for n, a, s in ABLATION))


def csv_markdown() -> Draft:
    d = Draft("csv.md")
    d.parts += ["## Generalisation\n\n| Dataset | Method | Accuracy | Step validity | Trace validity |\n|---|---|---|---|---|\n"]
    for m, ds, a, s, t in CSV_MAIN:
        cells = [d.ok(pct(a)), d.ok(pct(s)), d.ok(pct(t)) if (m, ds) != ("SFT", "ProofWriter")
                 else d.bad(pct(0.152), "main_results", "wrong row")]
        d.parts.append(f"| {ds} | {m} | " + " | ".join(cells) + " |\n")
    d.parts += ["\n## Ablations\n\nTable 4: What each part contributes (accuracy and step validity, %).\n\n",
                "| Setting | Accuracy | Step validity |\n|---|---|---|\n"]
    for n, a, s in ABLATION:
        cells = [d.ok(pct(a)), d.ok(pct(s)) if n != "one sample per problem" else d.bad("71.8", "ablation", "typo")]
        d.parts.append(f"| {n} | " + " | ".join(cells) + " |\n")
    d.parts.append(f"\nWithout distractors in training, step validity falls to {d.ok('87.4%')}; with one sample per "
                   f"problem it falls to {d.ok('71.3%')}.\n")
    return d


# ------------------------------------------------------------------ layout 5: seeds

SEEDS = {0: (0.981, 0.975), 1: (0.985, 0.988), 2: (0.979, 0.969)}


def seeds_layout(root: Path) -> None:
    for seed, (acc, sv) in SEEDS.items():
        _write(root / "seeds" / f"seed{seed}" / "eval.json", {"accuracy": acc, "step_validity": sv})


def seeds_latex() -> Draft:
    import statistics
    d = Draft("seeds.tex")
    acc = [v[0] for v in SEEDS.values()]
    sv = [v[1] for v in SEEDS.values()]
    d.parts += [
        "\\subsection{Variance across seeds}\n",
        f"Over three seeds, accuracy is ${d.ok(pct(statistics.fmean(acc)))} \\pm {d.ok(pct(statistics.stdev(acc)))}$\\% "
        f"and step validity ${d.ok(pct(statistics.fmean(sv)))} \\pm "
        f"{d.bad(pct(statistics.stdev(sv) + 0.004), 'seeds', 'wrong std')}$\\%.\n",
    ]
    return d


# ------------------------------------------------------------------ layout 6: timing files

def timing_layout(root: Path) -> None:
    _write(root / "timing" / "sampling.json", {"vllm": {"problems_per_hour": 2200}, "hf_generate": {"problems_per_hour": 50},
                                               "hf_batched": {"problems_per_hour": 610}})
    _write(root / "timing" / "training.csv", "stage,wall_s,tokens_per_s,mfu\nsft,5423,78500,0.281\ndpo,1200,46800,0.169\n")


def timing_markdown() -> Draft:
    d = Draft("timing.md")
    d.parts += [
        "## Throughput\n\n",
        f"vLLM samples {d.ok('2,200')} problems per hour against {d.ok('50')} for one-at-a-time HF generate, a "
        f"{d.ok('44×')} speedup; batched HF generation reaches {d.ok('610')} problems per hour, "
        f"{d.bad('44x', 'timing', 'ratio from the wrong pair')} slower than vLLM.\n\n",
        f"SFT trains at {d.ok('78.5K')} tokens/s ({d.ok('28.1%')} MFU) and DPO at {d.ok('46,800')} tokens/s on one "
        "H100 (80 GB) with Qwen3-0.6B.\n",
    ]
    return d



# ------------------------------------------------------------------ more drafts, phrased differently

def own_discussion() -> Draft:
    d = Draft("discussion.md")
    sv = {k: OWN[k][1] / OWN_STEPS[k] for k in OWN}
    tv = {k: OWN[k][2] / 1000 for k in OWN}
    d.parts += [
        "## 5 Discussion\n\n",
        f"The largest single jump comes from the first DPO iteration: step validity goes from {d.ok(pct(sv['sft']) + '%')}\n"
        f"to {d.ok(pct(sv['dpo_iter1']) + '%')} ({d.ok('+' + gap(sv['dpo_iter1'], sv['sft']) + ' points')}). Later "
        f"iterations add less: iteration 2 reaches {d.ok(pct(sv['dpo_iter2']) + '%')} and iteration 3 "
        f"{d.ok(pct(sv['dpo_iter3']) + '%')}.\n\n",
        f"Whole traces lag behind single steps. Only {d.ok(pct(tv['sft'], 0) + '%')} of SFT traces are valid, against "
        f"{d.ok(pct(tv['dpo_iter3'], 0) + '%')} after iteration 3; the gap between step and trace validity shrinks from "
        f"{d.ok(gap(sv['sft'], tv['sft']))} to {d.ok(gap(sv['dpo_iter3'], tv['dpo_iter3']))} points.\n\n",
        f"Answer accuracy moves much less than validity (from {d.ok('0.941')} to {d.ok('0.983')}): the SFT model "
        "already guesses most labels, as one would expect from a binary task with a 50% base rate.\n\n",
        f"Pair counts fall with every iteration ({d.ok('1,594')}, {d.ok('1,203')}, {d.ok('344')}), because fewer "
        f"problems yield both a valid and an invalid sample: {d.ok('812')} problems had a pair in iteration 1 and only "
        f"{d.bad('209', 'dpo_iter3/pairs', 'stale value')} in iteration 3.\n\n",
        f"Sampling used temperature {d.ok('0.7')} with {d.ok('4')} samples per problem; at that temperature the sample "
        f"check of iteration 1 found {d.ok('74.5%')} of the sampled answers correct, rising to "
        f"{d.bad('95.7%', 'dpo_iter3/check', 'wrong rounding')} in iteration 3.\n",
    ]
    return d


def own_abstract() -> Draft:
    d = Draft("abstract.tex")
    sv = {k: OWN[k][1] / OWN_STEPS[k] for k in OWN}
    d.parts += [
        "\\begin{abstract}\n",
        "We present SOKRATES, which trains a language model to write proofs as optionized traces verified by a solver\n"
        f"(Sections~2--3). Starting from a supervised model whose steps are valid only {d.ok(pct(sv['sft'], 0))}\\% of\n"
        f"the time, three rounds of DPO on solver-labelled pairs lift step validity to {d.ok(pct(sv['dpo_iter3'], 0))}\\%\n"
        f"and accuracy to {d.ok('98.3')}\\% on {d.ok('1,000')} held-out problems. \\cite{{saparov2023}} report\n"
        "comparable numbers for much larger models in 2023.\n",
        "\\end{abstract}\n",
    ]
    return d


def aggregate_readme() -> Draft:
    d = Draft("README.md")
    a = AGG
    d.parts += ["# SOKRATES: results\n\nWe release the code under MIT (v1.2). Main results (accuracy / step validity, %):\n\n",
                "| Method | PrOntoQA acc. | PrOntoQA step validity | FOLIO acc. | FOLIO step validity |\n"
                "|---|---|---|---|---|\n"]
    rows = [("CoT baseline", "cot_baseline", "final"), ("SOKRATES SFT", "sokrates", "sft"),
            ("SOKRATES + DPO iter1", "sokrates", "dpo_iter1"), ("SOKRATES + DPO iter3", "sokrates", "dpo_iter3")]
    planted = {("folio", "sft", "accuracy"): (pct(a["folio"]["cot_baseline"]["final"]["accuracy"]), "folio", "wrong row")}
    for label, method, stage in rows:
        d.parts.append(f"| {label} | " + " | ".join(_aggregate_cells(d, method, stage, planted)) + " |\n")
    d.parts += [
        f"\nOn PrOntoQA, step validity improves by {d.ok('71.4')} points from SFT to DPO iteration 3 (from "
        f"{d.ok('27.3%')} to {d.ok('98.7%')}). The CoT baseline stays at {d.ok('87.4%')} accuracy on PrOntoQA and "
        f"{d.ok('60.1%')} on FOLIO.\n",
    ]
    return d


def csv_latex() -> Draft:
    d = Draft("generalisation.tex")
    d.parts += [
        "\\paragraph{Generalisation.}\n",
        f"On ProofWriter, DPO raises step validity from {d.ok('34.4')}\\% to {d.ok('90.2')}\\% and trace validity "
        f"from {d.ok('20.1')}\\% to {d.ok('81.1')}\\% (Table~\\ref{{tab:gen}}).\n\n",
        "\\begin{table}[h]\\centering\n\\begin{tabular}{llrrr}\n\\hline\n",
        "Dataset & Method & Acc. & Step val. & Trace val. \\\\\n\\hline\n",
    ]
    for m, ds, acc, sv, tv in CSV_MAIN:
        cells = [d.ok(f"{acc:.3f}"), d.ok(f"{sv:.3f}"),
                 d.bad(f"{tv + 0.01:.3f}", "main_results", "typo") if (m, ds) == ("SFT+DPO", "PrOntoQA") else d.ok(f"{tv:.3f}")]
        d.parts.append(f"{ds} & {m} & " + " & ".join(cells) + " \\\\\n")
    d.parts.append("\\hline\n\\end{tabular}\n\\caption{Generalisation to a second dataset.}\\label{tab:gen}\n\\end{table}\n")
    return d


def seeds_markdown() -> Draft:
    import statistics
    d = Draft("seeds.md")
    acc = [v[0] for v in SEEDS.values()]
    sv = [v[1] for v in SEEDS.values()]
    d.parts += [
        "### Robustness to the seed\n\n| Metric | Seed 0 | Seed 1 | Seed 2 | Mean ± std |\n|---|---|---|---|---|\n",
        f"| Accuracy | {d.ok(pct(acc[0]))} | {d.ok(pct(acc[1]))} | {d.ok(pct(acc[2]))} | "
        f"{d.ok(pct(statistics.fmean(acc)))} ± {d.ok(pct(statistics.stdev(acc)))} |\n",
        f"| Step validity | {d.ok(pct(sv[0]))} | {d.bad(pct(sv[2]), 'seed1', 'wrong column')} | {d.ok(pct(sv[2]))} | "
        f"{d.ok(pct(statistics.fmean(sv)))} ± {d.ok(pct(statistics.stdev(sv)))} |\n",
        f"\nThe spread across the {d.ok('3')} seeds is small: step validity varies between {d.ok('96.9%')} and "
        f"{d.ok('98.8%')}.\n",
    ]
    return d


def timing_latex() -> Draft:
    d = Draft("timing.tex")
    d.parts += [
        "\\subsection{Cost}\n",
        f"Sampling with vLLM processes {d.ok('2,200')} problems/hour, $\\approx{d.ok('3.6')}\\times$ the batched HF\n"
        f"path ({d.ok('610')} problems/hour) and ${d.ok('44')}\\times$ one-at-a-time generation. SFT took\n"
        f"{d.ok('5,423')} s at {d.ok('28.1')}\\% MFU; DPO took {d.ok('1,200')} s at {d.bad('18.9', 'training', 'typo')}\\% MFU.\n",
    ]
    return d


def checkpoint_latex() -> Draft:
    d = Draft("curve.tex")
    d.parts += [
        "\\begin{table}\\caption{SFT checkpoints on held-out problems.}\n\\begin{tabular}{rccc}\n\\toprule\n",
        "Step & Acc. & Step validity & Loss \\\\\n\\midrule\n",
    ]
    for step, (acc, sv, loss) in CKPT.items():
        cells = [d.ok(f"{acc * 100:.1f}"), d.ok(f"{sv * 100:.1f}"),
                 d.bad("0.33", "checkpoint-4000", "stale value") if step == 4000 else d.ok(f"{loss:.2f}")]
        d.parts.append(f"{step} & " + " & ".join(cells) + " \\\\\n")
    d.parts.append("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
    return d



# ------------------------------------------------------------------ a third set of drafts

def own_appendix() -> Draft:
    d = Draft("appendix.md")
    d.parts += ["## Appendix B: per-stage evaluation\n\n",
                "Counts are correct answers (or valid steps) over the test problems (or all steps written); intervals "
                "are 95% Wilson intervals.\n\n",
                "| Stage | Accuracy (k/n) | Accuracy [95% CI] | Valid steps (k/n) | Step validity |\n|---|---|---|---|---|\n"]
    for label, stage in (("SFT", "sft"), ("DPO iter 1", "dpo_iter1"), ("DPO iter 2", "dpo_iter2"), ("DPO iter 3", "dpo_iter3")):
        acc, steps, _ = OWN[stage]
        r = rate(acc, 1000)
        n = OWN_STEPS[stage]
        frac = d.ok(f"{acc:,}/1,000") if stage != "dpo_iter2" else d.bad("952/1,000", "dpo_iter2/eval", "wrong row")
        d.parts.append(f"| {label} | {frac} | {d.ok(pct(r['value']))} [{d.ok(pct(r['ci95_low']))}, "
                       f"{d.ok(pct(r['ci95_high']))}] | {d.ok(f'{steps:,}/{n:,}')} | {d.ok(pct(steps / n, 2))} |\n")
    d.parts += [
        f"\nThe training set has {d.ok('14,346')} problems and the test set {d.ok('1,000')}; no test problem occurs in "
        f"training. SFT ran for {d.ok('3')} epochs at a learning rate of {d.ok('2e-5')} with batch size "
        f"{d.ok('64')} ({d.ok('673')} optimizer steps, final loss {d.ok('0.412')}).\n\n",
        f"In the sample check of DPO iteration 3, {d.ok('3,788')} of {d.ok('4,000')} sampled answers were correct "
        f"({d.ok('94.7%')}).\n",
    ]
    return d


def aggregate_related() -> Draft:
    d = Draft("comparison.tex")
    d.parts += [
        "\\section{Comparison with chain-of-thought}\n",
        "SOKRATES outperforms the CoT baseline on PrOntoQA by "
        f"{d.ok('10.9')} points of accuracy after the third DPO iteration ({d.ok('98.3')} vs.\\ {d.ok('87.4')}),\n"
        f"and by {d.bad('58.5', 'prontoqa', 'difference from the wrong pair')} points of step validity ({d.ok('98.7')} vs.\\ "
        f"{d.ok('41.2')}). On FOLIO the step validity gain over the baseline is {d.ok('21.4')} points "
        f"({d.ok('40.2')}\\% vs.\\ {d.ok('18.8')}\\%).\n\n",
        f"SFT alone is below the baseline on PrOntoQA step validity ({d.ok('27.3')} vs.\\ {d.ok('41.2')}), which we "
        "attribute to the format change (Appendix~A).\n",
    ]
    return d


def csv_ablation_text() -> Draft:
    d = Draft("ablations.md")
    d.parts += [
        "### What matters\n\n",
        f"Removing distractors from training costs {d.ok('10.7')} points of step validity ({d.ok('98.1%')} → "
        f"{d.ok('87.4%')}), and sampling a single trace per problem costs {d.ok('26.8')} points. Using gold proofs "
        f"as the chosen traces is close to the full method ({d.ok('94.2%')} vs. {d.ok('98.1%')} step validity) but "
        f"changes the method, so we report it separately.\n\n",
        f"On ProofWriter the full method reaches {d.ok('91.5%')} accuracy and {d.bad('91.2%', 'main_results', 'typo')} "
        "step validity.\n",
    ]
    return d


def checkpoint_prose() -> Draft:
    d = Draft("training.md")
    d.parts += [
        "The held-out loss falls from "
        f"{d.ok('0.91')} at step 500 to {d.ok('0.29')} at step 4000, while step validity rises from {d.ok('10.1%')} "
        f"to {d.ok('27.3%')} over the same steps. Between checkpoint 1000 and checkpoint 2000 accuracy gains "
        f"{d.ok('7.6')} points ({d.ok('84.5%')} → {d.ok('92.1%')}).\n",
    ]
    return d


def seeds_table_tex() -> Draft:
    d = Draft("seeds_table.tex")
    d.parts += ["\\begin{table}\\centering\\caption{Per-seed results (\\%).}\n\\begin{tabular}{lccc}\n\\toprule\n",
                "Seed & Accuracy & Step validity \\\\\n\\midrule\n"]
    for seed, (acc, sv) in SEEDS.items():
        cells = [d.ok(pct(acc)), d.ok(pct(sv)) if seed != 2 else d.bad(pct(SEEDS[0][1]), "seed2", "wrong row")]
        d.parts.append(f"Seed {seed} & " + " & ".join(cells) + " \\\\\n")
    d.parts.append("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
    return d


def timing_summary() -> Draft:
    d = Draft("cost.md")
    d.parts += [
        "| Stage | Wall time (s) | Tokens/s | MFU |\n|---|---|---|---|\n",
        f"| SFT | {d.ok('5,423')} | {d.ok('78,500')} | {d.ok('28.1%')} |\n",
        f"| DPO | {d.ok('1,200')} | {d.bad('48,600', 'training.csv', 'typo')} | {d.ok('16.9%')} |\n",
        f"\nDPO runs at about {d.ok('60%')} of SFT's token throughput. For sampling, vLLM is {d.ok('3.6×')} faster than "
        f"batched HF generation ({d.ok('2,200')} vs. {d.ok('610')} problems per hour).\n",
    ]
    return d


LAYOUTS = {"own": (own_layout, (own_markdown, own_latex, own_discussion, own_abstract, own_appendix)),
           "aggregate": (aggregate_layout, (aggregate_latex, aggregate_readme, aggregate_related)),
           "checkpoints": (checkpoint_layout, (checkpoint_markdown, checkpoint_latex, checkpoint_prose)),
           "csv": (csv_layout, (csv_markdown, csv_latex, csv_ablation_text)),
           "seeds": (seeds_layout, (seeds_latex, seeds_markdown, seeds_table_tex)),
           "timing": (timing_layout, (timing_markdown, timing_latex, timing_summary))}


def build(root: Path) -> list[tuple[Path, Path, Draft]]:
    """Write each layout's metrics folder and its drafts under root; returns (draft file, metrics folder, draft)
    triples: a paper is checked against its own results folder, as `check-paper --metrics` is used."""
    out = []
    for name, (layout, makers) in LAYOUTS.items():
        metrics = root / name / "metrics"
        layout(metrics)
        for make in makers:
            d = make()
            path = root / name / "drafts" / d.name
            _write(path, "".join(d.parts))
            out.append((path, metrics, d))
    return out
