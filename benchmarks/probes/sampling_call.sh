#!/usr/bin/env bash
# One device call (session 7): sampling throughput, one after the other so they do not share the GPU:
# the 0.6B-shaped model through benchmarks/gpu_bench.py (batched generate vs continuous batching, the bandwidth
# bound), then the trained embedded model through benchmarks/sampler_speed.py (traces of different lengths).
export TOKENIZERS_PARALLELISM=false PYTHONPATH=$PWD
dev=$(python3 -c "import torch, re; print(re.sub('[^A-Za-z0-9]+', '_', torch.cuda.get_device_name(0)))")
timeout 330 python3 benchmarks/gpu_bench.py --skip-sft --skip-dpo --out "$OUT/gpu_speed_$dev.json" > /tmp/g.log 2>&1 \
  || grep -av '%|' /tmp/g.log | tail -5
timeout 200 python3 benchmarks/sampler_speed.py --problems 2000 --out "$OUT/sampler_speed_$dev.json" > /tmp/s.log 2>&1 \
  || grep -av '%|' /tmp/s.log | tail -5
python3 -c "import json,sys; [print(f, json.dumps({k: v for k, v in json.load(open(f)).items() if k != 'sampling'})[:900]) for f in sys.argv[1:]]" "$OUT"/*.json
python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['sampling']))" "$OUT"/gpu_speed_*.json
