"""benchmarks/sft_probe.py with TRL's SFT loss replaced by the plain cross-entropy on the full logits (TRL's
`compute_loss_func`), everything else the pipeline's: isolates TRL's fused, chunked LM-head loss as a cause of the
gap between the pipeline's SFT and the plain loop (docs/experiments.md). Same arguments as sft_probe.py."""
import sys
from pathlib import Path

import torch
import trl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sft_probe  # noqa: E402


def plain_ce(outputs, labels, num_items_in_batch=None):
    logits, labels = outputs.logits[:, :-1].float(), labels[:, 1:].to(outputs.logits.device)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1),
                                             ignore_index=-100, reduction="sum")
    return loss / (num_items_in_batch if num_items_in_batch is not None else (labels != -100).sum())


class PlainLossSFTTrainer(trl.SFTTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, compute_loss_func=plain_ce, **kwargs)


trl.SFTTrainer = PlainLossSFTTrainer
if __name__ == "__main__":
    sft_probe.main()
