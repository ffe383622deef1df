#!/usr/bin/env bash
# One device call (session 10): the pretrain-then-format regime. Stage 1 trains the embedded model from scratch on the
# proofs in words, for each trace style in STAGE1_STYLES (prose, numbered_prose; benchmarks/probes/prose.yaml through
# the pipeline's own SFT step; a model already in .probe/STYLE is used instead); stage 2 continues each on the
# optionized gold traces (the style with Actions) of the first FORMAT_PROBLEMS problems, for each step count in STEPS
# (sft_control.py: cosine-decayed from lr 1e-3, batch 64), and shows what the stage-2 models write (show_traces.py);
# with DPO_JSONS ("|"-separated), iterated DPO from each stage-2 model on fresh problems (dpo_iterate.py, the demo's
# budget: 1,000 problems x 4 per iteration) for the time left, and with CONTROL (SFTSettings JSON) beside them the
# control: SFT continued from each stage-2 model on gold proofs of CONTROL_PROBLEMS fresh problems (default 3,000).
# Back in $OUT: results.txt, traces.txt, errors.txt and, when stage 1 ran, stage1.tgz.
#   Usage: bash benchmarks/probes/prose_call.sh LIMIT_S FORMAT_PROBLEMS "STEPS..." "STAGE1_STYLES..." ['DPO_JSON|...']
limit=$1; k=$2; steps=$3; styles=$4; IFS='|' read -r -a dpos <<< "${5:-}"
n=${DPO_PROBLEMS:-1000}; test=${TEST:-1000}; start=$(date +%s)
export OMP_NUM_THREADS=2 TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
rm -rf /tmp/s1 /tmp/logs /tmp/f-* /tmp/it-* /tmp/c-*; mkdir -p /tmp/s1 /tmp/logs; trained=
for st in $styles; do
  if [ -d ".probe/$st" ]; then cp -r ".probe/$st" "/tmp/s1/$st"; continue; fi
  trained=1
  ( sed "s/^run_id: .*/run_id: $st/; s/trace_style: prose/trace_style: $st/" benchmarks/probes/prose.yaml > "/tmp/$st.yaml"
    python3 -m sokrates sft --config "/tmp/$st.yaml" -w /tmp/pp > "/tmp/logs/$st.log" 2>&1 \
      && cp -r "/tmp/pp/runs/$st/sft/model" "/tmp/s1/$st" && rm -f "/tmp/s1/$st/training_args.bin" ) &
done
wait
[ -n "$trained" ] && (cd /tmp/s1 && tar czf "$OUT/stage1.tgz" .)
echo "stage 1 done at $(( $(date +%s) - start )) s: $(ls /tmp/s1)"
for st in $styles; do
  format=$([ "$st" = numbered_prose ] && echo numbered || echo plain)
  for s in $steps; do
    epochs=$(python3 -c "print(round($s * 64 / $k, 4))")
    ( python3 benchmarks/probes/sft_control.py --model "/tmp/s1/$st" --start 0 --problems "$k" --test "$test" \
        --work "/tmp/f-$st-$s" --out "/tmp/logs/f-$st-$s.jsonl" --sft "{\"learning_rate\": 1e-3, \"scheduler\": \"cosine\", \
\"warmup_ratio\": 0.1, \"batch_size\": 64, \"adam_beta2\": 0.95, \"epochs\": $epochs, \"trace_style\": \"$format\"}" \
        > "/tmp/logs/f-$st-$s.log" 2>&1
      python3 benchmarks/probes/show_traces.py "/tmp/f-$st-$s/model" --show 2 --test "${SHOW:-300}" > "/tmp/logs/t-$st-$s.txt" 2>&1 ) &
  done
done
wait
echo "stage 2 done at $(( $(date +%s) - start )) s"
left=$(( limit - ($(date +%s) - start) - 15 ))
for st in $styles; do for s in $steps; do for i in "${!dpos[@]}"; do
  ( timeout "$left" python3 benchmarks/probes/dpo_iterate.py --model "/tmp/f-$st-$s/model" --skip 60000 --problems "$n" \
      --test "$test" --dpo "${dpos[$i]}" --work "/tmp/it-$st-$s-$i" --out "/tmp/logs/dpo-$st-$s-$i.jsonl" \
      > "/tmp/logs/dpo-$st-$s-$i.log" 2>&1 ) &
done
  [ -n "${CONTROL:-}" ] && ( timeout "$left" python3 benchmarks/probes/sft_control.py --model "/tmp/f-$st-$s/model" \
      --start 60000 --problems "${CONTROL_PROBLEMS:-3000}" --test "$test" --sft "$CONTROL" --work "/tmp/c-$st-$s" \
      --out "/tmp/logs/ctl-$st-$s.jsonl" > "/tmp/logs/ctl-$st-$s.log" 2>&1 ) &
done; done
wait
cd /tmp/logs && for f in *.jsonl; do echo "== $f"; cat "$f"; done > "$OUT/results.txt"
for f in *.txt; do echo "== $f"; grep -av "%|\|Warning\|warnings.warn\|super().__init__" "$f"; done > "$OUT/traces.txt"
for f in *.log; do grep -aq Traceback "$f" && { echo "== $f"; grep -av '%|' "$f" | tail -4; }; done > "$OUT/errors.txt"
cut -c1-330 "$OUT/results.txt"; grep "first error" "$OUT/traces.txt"; cut -c1-300 "$OUT/errors.txt"
