"""PNG charts beside the session log: training loss curves and the per-iteration metrics."""
from __future__ import annotations

from pathlib import Path

from sokrates.io import read_json, read_jsonl


def _stages(run_dir: Path) -> list[Path]:
    stages = [run_dir / "sft"]
    k = 1
    while (run_dir / f"dpo_iter{k}").is_dir():
        stages.append(run_dir / f"dpo_iter{k}")
        k += 1
    return stages


def loss_chart(run_dir: Path, out: Path) -> bool:
    """SFT and DPO loss per logging step, one panel each; False when there is nothing to draw."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curves = {}
    for stage in _stages(run_dir):
        rows = [r for r in read_jsonl(stage / "metrics.jsonl") if "loss" in r] if (stage / "metrics.jsonl").is_file() else []
        if rows:
            curves[stage.name] = ([r["step"] for r in rows], [r["loss"] for r in rows])
    if not curves:
        return False
    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3), squeeze=False)
    for ax, (name, (x, y)) in zip(axes[0], curves.items()):
        ax.plot(x, y)
        ax.set_title(f"{name} loss")
        ax.set_xlabel("step")
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return True


def metrics_chart(run_dir: Path, out: Path) -> bool:
    """Accuracy, step validity and trace validity per iteration (0 = SFT), with 95% intervals."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    points = [(i, read_json(s / "eval" / "summary.json")) for i, s in enumerate(_stages(run_dir))
              if (s / "eval" / "summary.json").is_file()]
    if not points:
        return False
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for metric in ("accuracy", "step_validity", "trace_validity"):
        xs = [i for i, _ in points]
        ys = [s[metric]["value"] for _, s in points]
        err = [[y - s[metric]["ci95_low"] for y, (_, s) in zip(ys, points)],
               [s[metric]["ci95_high"] - y for y, (_, s) in zip(ys, points)]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=metric.replace("_", " "))
    ax.set_xticks([i for i, _ in points])
    ax.set_xlabel("DPO iteration (0 = SFT)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return True
