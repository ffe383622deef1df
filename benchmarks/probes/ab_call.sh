#!/usr/bin/env bash
# One device call: the same SFT recipe trained by TRL (benchmarks/sft_probe.py, the pipeline's own SFT step) and by
# the plain loop (benchmarks/long_probe.py), side by side, so that a gap between the two is the trainer's.
#   Usage: bash benchmarks/probes/ab_call.sh LIMIT_S N_TRAIN STEPS WARMUP_RATIO
limit=$1; n=$2; steps=$3; warmup=$4
epochs=$(python3 -c "print(round($steps * 64 / $n, 4))")
sets="--set data.n_train=$n --set sft.warmup_ratio=$warmup --set sft.batch_size=64"
export OMP_NUM_THREADS=6 TOKENIZERS_PARALLELISM=false
( timeout "$limit" python3 benchmarks/sft_probe.py --workspace /tmp/t --run-id trl $sets --set sft.epochs=$epochs \
    --set sft.torch_compile=false --set sft.group_by_length=false --curve-every 2000 --json "$OUT/trl.json" > /tmp/t.log 2>&1
  grep -a '"curve"' /tmp/t.log > "$OUT/trl_curve.jsonl"; grep -av '%|' /tmp/t.log | tail -4 > "$OUT/trl.log"
  cd /tmp/t/runs/trl && tar czf "$OUT/trl_model.tgz" sft/model sft/summary.json sft/metrics.jsonl sft/eval/summary.json ) &
( timeout "$limit" python3 benchmarks/long_probe.py --workspace /tmp/r --name raw $sets --steps $steps \
    --eval-every 2000 --greedy-every $steps --greedy-problems 300 --batch 64 --out "$OUT/raw.jsonl" > /tmp/r.log 2>&1 \
  || tail -3 /tmp/r.log > "$OUT/raw.err" ) &
wait
cat "$OUT/raw.jsonl" "$OUT/trl_curve.jsonl" "$OUT/trl.log" | cut -c1-400
