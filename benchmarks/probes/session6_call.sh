#!/usr/bin/env bash
# One device call (session 6): DPO data scaling from the shipped checkpoint (benchmarks/probes/dpo_scale.py) beside
# the pipeline's SFT recipe of checkpoints/tiny-sft trained with the plain cross-entropy loss
# (benchmarks/probes/plain_ce_sft.py), to compare with the same recipe's TRL figure of session 5.
limit=$1
export OMP_NUM_THREADS=6 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
rpo='{"loss_type": ["sigmoid", "sft"]}'
( timeout "$limit" python3 benchmarks/probes/dpo_scale.py --problems 1000,4000,16000 --samples 4 --test 1000 \
    --in-sample 200 --spec "step:$rpo" --spec "whole:$rpo" --out "$OUT/dpo_scale.jsonl" > /tmp/d.log 2>&1
  grep -av '%|' /tmp/d.log | grep -av '^{' | tail -5 > "$OUT/dpo_scale.log" ) &
( timeout "$limit" python3 benchmarks/probes/plain_ce_sft.py --workspace /tmp/t --run-id plaince \
    --set data.n_train=60000 --set sft.warmup_ratio=0.25 --set sft.batch_size=64 --set sft.epochs=8.5333 \
    --set sft.torch_compile=false --set sft.group_by_length=false --curve-every 2000 --max-train-s $((limit - 120)) \
    --json "$OUT/plaince.json" > /tmp/t.log 2>&1
  grep -a '"curve"' /tmp/t.log > "$OUT/plaince_curve.jsonl"; grep -av '%|' /tmp/t.log | tail -4 > "$OUT/plaince.log" ) &
wait
cut -c1-600 "$OUT/dpo_scale.jsonl" "$OUT/plaince_curve.jsonl"; tail -3 "$OUT/dpo_scale.log" "$OUT/plaince.log"
