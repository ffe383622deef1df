#!/usr/bin/env bash
# One device call (session 12): the openai backend against `transformers serve --continuous-batching` beside batched
# generate on the trained embedded model (benchmarks/sampler_speed.py), then SFT throughput on the 0.6B-shaped model with
# padding-free packing and FlexAttention against the compiled padded baseline, and DPO specs in $DPO (benchmarks/gpu_bench.py).
# Carry .whl (trl, datasets, dill, multiprocess, liger), .whl_tf (transformers 5.24), .whl_serve (fastapi, uvicorn,
# pydantic, openai and their needs).
python3 -m pip install -q --no-index --no-deps .whl/*.whl .whl_tf/*.whl .whl_serve/*.whl 2>&1 | grep -v WARN | tail -3
export PYTHONPATH=$PWD TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
python3 -c "import torch, transformers; print(torch.cuda.get_device_name(0), transformers.__version__)"
timeout ${SERVE_S:-230} python3 benchmarks/sampler_speed.py --problems 1000 --greedy 200 --backends hf openai \
  --serve=--continuous-batching --out "$OUT/sampler_serve.json" > "$OUT/serve.log" 2>&1
grep -a '^hf \|^openai \|speedup\|identical\|Error' "$OUT/serve.log" | tail -8
timeout ${SFT_S:-330} python3 benchmarks/gpu_bench.py --skip-sampling --out "$OUT/train.json" --sft $SPECS $([ -n "${DPO:-}" ] && echo --dpo $DPO || echo --skip-dpo) \
  > "$OUT/train.log" 2>&1
grep -a '^{"spec' "$OUT/train.log" | cut -c1-600
