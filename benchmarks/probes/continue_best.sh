#!/usr/bin/env bash
# After run_parallel.sh: take the recipe with the highest SFT step validity among NAMES and run its DPO
# iterations (`sokrates loop`, finished steps skipped); copy the summaries and the SFT model to OUTDIR/best.
# Usage: bash benchmarks/probes/continue_best.sh OUTDIR LIMIT_S NAME...
out=$1; limit=$2; shift 2
best=$(python3 -c "
import json, sys
names = sys.argv[1:]
scores = {n: json.load(open(f'$out/{n}.json'))['step_validity']['value'] for n in names if __import__('os').path.exists(f'$out/{n}.json')}
print(max(scores, key=scores.get) if scores else '')" "$@")
[ -z "$best" ] && { echo "no finished recipe"; exit 1; }
echo "best: $best"
ws=${WS_ROOT:-/tmp}/ws_$best
timeout "$limit" python3 -m sokrates.cli loop -w "$ws" --run-id "$best" --proceed > /tmp/loop_best.log 2>&1 || tail -5 /tmp/loop_best.log
grep -E "^(sft|dpo_iter)" /tmp/loop_best.log
mkdir -p "$out/best"
cd "$ws/runs/$best" && for f in */eval/summary.json dpo_iter*/pairs.json dpo_iter*/check.json dpo_iter*/summary.json config.yaml; do
  [ -e "$f" ] && mkdir -p "$out/best/$(dirname "$f")" && cp "$f" "$out/best/$f"; done
cp -r sft/model "$out/best/sft_model"
