#!/usr/bin/env bash
# Run several sft_probe.py recipes at once on one machine (tiny models leave a GPU mostly idle).
# Usage: bash benchmarks/probes/run_parallel.sh OUTDIR LIMIT_S "name|--set a=1 --set b=2" ...
# Workspaces go under $WS_ROOT (default /tmp) as ws_<name>.
out=$1; limit=$2; shift 2
mkdir -p "$out"
for spec in "$@"; do
  name=${spec%%|*}; sets=${spec#*|}
  ( timeout "$limit" python3 benchmarks/sft_probe.py --workspace "${WS_ROOT:-/tmp}/ws_$name" --run-id "$name" \
      --json "$out/$name.json" $sets > "/tmp/$name.log" 2>&1 || tail -5 "/tmp/$name.log" > "$out/$name.err"
    cp "${WS_ROOT:-/tmp}/ws_$name/runs/$name/sft/eval/samples.jsonl" "$out/$name.samples.jsonl" 2>/dev/null ) &
done
wait
for f in "$out"/*.json; do echo "$(basename "$f" .json) $(python3 -c "
import json,sys; d=json.load(open('$f')); print(d['steps'], round(d['final_loss'],3), 'acc', d['accuracy']['value'], 'sv', d['step_validity']['value'], 'tv', d['trace_validity']['value'], d['by_hops_step_validity'], d['decisions'], d['times_s'])")"; done
for f in "$out"/*.err; do [ -e "$f" ] && { echo "== $f"; cat "$f"; }; done
