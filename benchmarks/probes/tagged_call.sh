#!/usr/bin/env bash
# One device call (session 10): SFT from scratch, side by side, for each "TEMPLATE:STYLE:STEPS" job
# (benchmarks/probes/tagged_sft.py); results in $OUT/results.txt, the trained models in $OUT/models.tgz.
#   Usage: bash benchmarks/probes/tagged_call.sh LIMIT_S "TEMPLATE:STYLE:STEPS ..."
limit=$1; jobs=$2
export OMP_NUM_THREADS=2 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
rm -rf /tmp/tj && mkdir -p /tmp/tj/models
for job in $jobs; do
  IFS=: read -r template style steps <<< "$job"; name="$template-$style-$steps"
  ( timeout "$limit" python3 benchmarks/probes/tagged_sft.py --template "$template" --style "$style" --steps "$steps" \
      --work "/tmp/tj/$name" --out "/tmp/tj/$name.jsonl" > "/tmp/tj/$name.log" 2>&1 \
      || { echo "== $name failed"; grep -av '%|' "/tmp/tj/$name.log" | tail -3; }
    mkdir -p "/tmp/tj/models/$name" && cp /tmp/tj/$name/sft/model/*.json /tmp/tj/$name/sft/model/*.safetensors "/tmp/tj/models/$name/" ) &
done
wait
cat /tmp/tj/*.jsonl | tee "$OUT/results.txt"
(cd /tmp/tj/models && tar czf "$OUT/models.tgz" .)
