#!/usr/bin/env bash
# One device call: one DPO iteration from the shipped checkpoint on 16,000 problems x 4 samples, at the pipeline's
# learning rate and at a tenth of it (benchmarks/probes/dpo_scale.py), evaluated on 1,000 test problems.
#   Usage: bash benchmarks/probes/dpo_lr_call.sh LIMIT_S
limit=$1
export OMP_NUM_THREADS=12 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
timeout "$limit" python3 benchmarks/probes/dpo_scale.py --model checkpoints/tiny-sft --problems 16000 --samples 4 \
  --test 1000 --in-sample 200 --out "$OUT/dpo_lr.jsonl" \
  --spec 'step:{"loss_type": ["sigmoid", "sft"], "learning_rate": 5e-5, "epochs": 1}' \
  --spec 'whole:{"learning_rate": 5e-5, "epochs": 1}' \
  --spec 'step:{"loss_type": ["sigmoid", "sft"]}' \
  --spec 'whole:{"loss_type": ["sigmoid", "sft"]}' > /tmp/d.log 2>&1
grep -av '%|' /tmp/d.log | grep -av '^{' | tail -3 > "$OUT/dpo_lr.log"
cut -c1-700 "$OUT/dpo_lr.jsonl"
