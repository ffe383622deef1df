#!/usr/bin/env bash
# One device call: the GPU replication (SFT then 3 DPO iterations on 1,050 test problems, through
# benchmarks/loop_cpu.py, i.e. the pipeline's own steps with TRL) and, beside it, a control run of
# benchmarks/long_probe.py. Each run folder's summaries and SFT model are packed into $OUT at the end, even when
# the time limit cut the run short.
#   Usage: bash benchmarks/probes/replication_call.sh LIMIT_S "--set k=v ..." ["long_probe args"]
limit=$1; sets=$2; control=$3
export OMP_NUM_THREADS=4 TOKENIZERS_PARALLELISM=false
( timeout "$limit" python3 benchmarks/loop_cpu.py --workspace /tmp/rep --run-id rep --json "$OUT/replication.json" \
    --set data.n_test=1050 --set iterations=3 $sets > /tmp/rep.log 2>&1
  grep -av '%|' /tmp/rep.log | tail -30 > "$OUT/rep.log"
  cd /tmp/rep/runs/rep && tar czf "$OUT/rep_run.tgz" --exclude='*/samples.jsonl' --exclude=trainer \
    $(ls -d sft/model */metrics.jsonl */summary.json */eval/summary.json */pairs.json */check.json config.yaml 2>/dev/null) ) &
[ -n "$control" ] && ( timeout "$limit" python3 benchmarks/long_probe.py --workspace /tmp/ctl --name control \
    --out "$OUT/control.jsonl" $control > /tmp/ctl.log 2>&1 || tail -3 /tmp/ctl.log > "$OUT/control.err" ) &
wait
cat "$OUT/rep.log"
