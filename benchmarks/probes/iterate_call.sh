#!/usr/bin/env bash
# One device call: iterated DPO on problems the SFT model never had gold proofs for
# (benchmarks/probes/dpo_iterate.py), several runs side by side, one per line of the job file:
#   NAME MODEL SKIP KIND OPTIONS DPO_SETTINGS_JSON
# OPTIONS: more dpo_iterate.py flags as KEY=VALUE joined by commas (pairs=mode,samples=8), or - for none; they
# override the call's own (problems=8000 wins over PROBLEMS_PER_ITERATION).
#   Usage: bash benchmarks/probes/iterate_call.sh LIMIT_S PROBLEMS_PER_ITERATION JOB_FILE
limit=$1; n=$2; jobs=$3
export OMP_NUM_THREADS=2 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
while read -r name model skip kind options dpo; do
  extra=(); [ "$options" = - ] || extra=($(echo "--$options" | sed 's/,/ --/g; s/=/ /g'))
  ( timeout "$limit" python3 benchmarks/probes/dpo_iterate.py --model "$model" --skip "$skip" --kind "$kind" \
      --problems "$n" "${extra[@]}" --dpo "$dpo" --work "/tmp/$name" --out "$OUT/$name.jsonl" > "/tmp/$name.log" 2>&1 \
    || grep -av '%|' "/tmp/$name.log" | tail -3 > "$OUT/$name.err" ) &
done < "$jobs"
wait
for f in "$OUT"/*.jsonl; do echo "== $f"; cut -c1-400 "$f"; done; cat "$OUT"/*.err 2>/dev/null | cut -c1-300
