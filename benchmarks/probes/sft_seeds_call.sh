#!/usr/bin/env bash
# One device call: the recipe of checkpoints/tiny-sft (benchmarks/sft_probe.py, the pipeline's own SFT step) with two
# seeds side by side; the seed-0 model comes back as $OUT/sft0_model.tgz.
#   Usage: bash benchmarks/probes/sft_seeds_call.sh LIMIT_S
limit=$1
export OMP_NUM_THREADS=6 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
sets="--set data.n_train=60000 --set sft.warmup_ratio=0.25 --set sft.batch_size=64 --set sft.epochs=8.5333
      --set sft.torch_compile=false --set sft.group_by_length=false"
for seed in 0 1; do
  ( timeout "$limit" python3 benchmarks/sft_probe.py --workspace /tmp/w$seed --run-id tiny-sft $sets \
      --set sft.seed=$seed --curve-every 2000 --json "$OUT/sft$seed.json" > /tmp/s$seed.log 2>&1
    grep -av '%|' /tmp/s$seed.log | tail -3 > "$OUT/sft$seed.log"
    cd /tmp/w$seed/runs/tiny-sft && tar czf "$OUT/sft${seed}_model.tgz" sft/model sft/summary.json sft/metrics.jsonl ) &
done
wait
for seed in 0 1; do python3 -c "import json; d=json.load(open('$OUT/sft$seed.json')); print($seed, d['steps'], d['times_s'], \
  {k: d[k]['value'] for k in ('accuracy', 'step_validity', 'trace_validity')}, d['decisions'])"; done
