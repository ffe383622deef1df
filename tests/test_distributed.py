"""Rank split and exact merge of sampling, with 2 real gloo processes on the CPU."""
import json
import os
import subprocess
import sys
import textwrap

from sokrates.sampling import merge_shards, shard

WORKER = textwrap.dedent("""
    import json, os, sys
    import torch.distributed as dist
    from sokrates.problems import GeneratorConfig, generate
    from sokrates.sampling import Sampler, SampleSettings, sample_records

    class EchoSampler(Sampler):
        '''Returns the gold trace and records which rank produced it.'''
        def generate(self, prompts, n, s, progress=True):
            return [[f"rank {dist.get_rank()} prompt {p[-40:]!r}"] * n for p in prompts]

    dist.init_process_group("gloo")
    problems = generate(GeneratorConfig(n=11, seed=9))
    records = sample_records(problems, EchoSampler(), SampleSettings(samples_per_problem=2), "solve_compact", progress=False)
    if dist.get_rank() == 0:
        json.dump([[r["problem_id"], r["text"]] for r in records], open(sys.argv[1], "w"))
    dist.destroy_process_group()
""")


def test_shard_and_merge_are_inverse():
    items = list(range(13))
    for world in (1, 2, 3, 5):
        parts = [shard(items, r, world) for r in range(world)]
        assert sum(len(p) for p in parts) == 13 and merge_shards(parts, 13) == items


def test_two_gloo_ranks_split_sampling_and_merge_exactly(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = tmp_path / "merged.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", "29531", str(script), str(out)],
                          capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    merged = json.loads(out.read_text())
    from sokrates.problems import GeneratorConfig, generate
    ids = [p.id for p in generate(GeneratorConfig(n=11, seed=9))]
    assert [pid for pid, _ in merged] == [i for i in ids for _ in range(2)]  # same order, none lost or repeated
    ranks = [int(text.split()[1]) for _, text in merged]
    assert ranks == [i % 2 for i in range(11) for _ in range(2)]  # problem i sampled by rank i % 2 only


SFT_WORKER = textwrap.dedent("""
    import sys
    import torch.distributed as dist
    from sokrates.model import TinyModelConfig, init_tiny_model
    from sokrates.problems import GeneratorConfig, generate
    from sokrates.training import SFTSettings, run_sft

    dist.init_process_group("gloo")
    model = sys.argv[1] + "/base"
    if dist.get_rank() == 0:
        init_tiny_model(model, TinyModelConfig(hidden_size=32, layers=1, heads=2, intermediate_size=64,
                                               tokenizer_corpus=200, vocab_size=400))
    dist.barrier()
    run_sft(model, generate(GeneratorConfig(n=32, seed=2, max_hops=2)), sys.argv[1] + "/sft",
            SFTSettings(epochs=1, batch_size=4, logging_steps=1))
    dist.destroy_process_group()
""")


def test_sft_under_two_gloo_ranks_splits_the_data_and_saves_once(tmp_path):
    """DDP through the Trainer: each rank trains on half the examples; only rank 0 writes the model and logs."""
    script = tmp_path / "sft_worker.py"
    script.write_text(SFT_WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1"}  # accelerate's DDP on CPU
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", "29532", str(script), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "sft" / "summary.json").read_text())
    assert summary["examples"] == 32 and summary["steps"] == 4  # 32 examples / (2 ranks x batch 4)
    logs = [json.loads(line) for line in (tmp_path / "sft" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in logs if "loss" in x] == [1, 2, 3, 4]  # one line per logging step, not one per rank
    assert sum("train_runtime" in x for x in logs) == 1
    assert (tmp_path / "sft" / "model" / "model.safetensors").is_file()
    assert not (tmp_path / "sft" / "model.tmp").exists()
