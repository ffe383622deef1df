#!/usr/bin/env bash
# One device call (session 8): the annealed SFT model, made by the pipeline's own SFT step (the shipped checkpoint
# continued on gold proofs with a decaying learning rate, benchmarks/probes/anneal.yaml), copied to $OUT; then from
# it, side by side, iterated DPO (job file lines as in iterate_call.sh, MODEL /tmp/annealed) and the control: SFT
# continued on gold proofs of problems it already had, with the same optimizer budget (sft_control.py).
#   Usage: bash benchmarks/probes/anneal_call.sh LIMIT_S PROBLEMS_PER_ITERATION JOB_FILE
limit=$1; n=$2; jobs=$3
export OMP_NUM_THREADS=4 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
run=/tmp/ann/runs/tiny-sft-annealed/sft
python3 -m sokrates sft --config benchmarks/probes/anneal.yaml -w /tmp/ann --model checkpoints/tiny-sft > /tmp/ann.log 2>&1 \
  || { grep -av '%|' /tmp/ann.log | tail -5; exit 1; }
mkdir -p "$OUT/tiny-sft-annealed" && cp "$run"/model/* "$OUT/tiny-sft-annealed/" && cp "$run/summary.json" "$OUT/anneal_summary.json"
ln -sfn "$run/model" /tmp/annealed
( timeout "$limit" python3 benchmarks/probes/sft_control.py --model /tmp/annealed --start 13000 --problems 13000 \
    --work /tmp/ctl --out "$OUT/ctl_annealed.jsonl" > /tmp/ctl.log 2>&1 || grep -av '%|' /tmp/ctl.log | tail -3 > "$OUT/ctl.err" ) &
bash benchmarks/probes/iterate_call.sh "$limit" "$n" "$jobs"
wait
cut -c1-700 "$OUT"/ctl_*; cat "$OUT"/ctl.err 2>/dev/null
