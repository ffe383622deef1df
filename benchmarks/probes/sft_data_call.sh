#!/usr/bin/env bash
# One device call: the recipe of checkpoints/tiny-sft (8,000 steps of batch 64) with gold proofs for fewer problems,
# side by side; each model comes back as $OUT/sft<N>_model.tgz (for DPO on problems SFT had no proofs for).
#   Usage: bash benchmarks/probes/sft_data_call.sh LIMIT_S N1 N2 ...
limit=$1; shift
export OMP_NUM_THREADS=5 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
for n in "$@"; do
  epochs=$(python3 -c "print(round(8000 * 64 / $n, 4))")
  ( timeout "$limit" python3 benchmarks/sft_probe.py --workspace /tmp/w$n --run-id sft$n --set data.n_train=$n \
      --set sft.warmup_ratio=0.25 --set sft.batch_size=64 --set sft.epochs=$epochs --set sft.torch_compile=false \
      --set sft.group_by_length=false --curve-every 2000 --max-train-s $((limit - 100)) --json "$OUT/sft$n.json" \
      > /tmp/s$n.log 2>&1
    grep -av '%|' /tmp/s$n.log | tail -3 > "$OUT/sft$n.log"
    cd /tmp/w$n/runs/sft$n && tar czf "$OUT/sft${n}_model.tgz" sft/model sft/summary.json ) &
done
wait
for n in "$@"; do python3 -c "import json; d=json.load(open('$OUT/sft$n.json')); print($n, d['steps'], d['times_s'], \
  {k: d[k]['value'] for k in ('accuracy', 'step_validity', 'trace_validity')}, d['decisions'])"; done
