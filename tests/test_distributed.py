"""Rank split and exact merge of sampling, with 2 real gloo processes on the CPU."""
import json
import os
import subprocess
import sys
import textwrap

from sokrates.distributed import merge_shards, shard

WORKER = textwrap.dedent("""
    import json, os, sys
    import torch.distributed as dist
    from sokrates.problems import GeneratorConfig, generate
    from sokrates.sampling import Sampler, SampleSettings, sample_records

    class EchoSampler(Sampler):
        '''Returns the gold trace and records which rank produced it.'''
        def generate(self, prompts, n, s, progress=True):
            return [[f"rank {dist.get_rank()} prompt {p[-40:]!r}"] * n for p in prompts]

    problems = generate(GeneratorConfig(n=11, seed=9))  # no init_process_group: torchrun's variables suffice
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
    from sokrates.training import DPOSettings, SFTSettings, run_dpo, run_sft

    dist.init_process_group("gloo")
    model = sys.argv[1] + "/base"
    if dist.get_rank() == 0:
        init_tiny_model(model, TinyModelConfig(hidden_size=32, layers=1, heads=2, intermediate_size=64,
                                               tokenizer_corpus=200, vocab_size=400))
    dist.barrier()
    problems = generate(GeneratorConfig(n=32, seed=2, max_hops=2))
    run_sft(model, problems, sys.argv[1] + "/sft", SFTSettings(epochs=1, batch_size=4, logging_steps=1))
    pairs = [{"prompt": p.prompt(), "chosen": p.target(), "rejected": p.target().replace('args="[0', 'args="[1')}
             for p in problems[:16]]
    run_dpo(sys.argv[1] + "/sft/model", pairs, sys.argv[1] + "/dpo", DPOSettings(epochs=1, batch_size=4, logging_steps=1))
    dist.destroy_process_group()
""")


def test_sft_and_dpo_under_two_gloo_ranks_split_the_data_and_save_once(tmp_path):
    """DDP through the Trainers: each rank trains on half the examples; only rank 0 writes the model and logs;
    DPO's precomputed reference log-probs are shared through a dataset on disk."""
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
    assert json.loads((tmp_path / "dpo" / "summary.json").read_text())["steps"] == 2  # 16 pairs / (2 x 4)
    assert (tmp_path / "dpo" / "model" / "model.safetensors").is_file()


def test_the_cli_loop_under_two_gloo_ranks_runs_each_step_once(tmp_path):
    """`torchrun -m sokrates.cli loop`: single-process steps run on rank 0 first, training and sampling on both
    ranks; each step is logged once, every problem is sampled exactly as often as configured, and a re-run skips."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
           "-m", "sokrates.cli", "loop", "-w", str(tmp_path), "--config", "tests/data/tiny.yaml", "--proceed"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    steps = [line.split()[2] for line in first.stdout.splitlines() if " [run] " in line]
    assert steps == ["init", "data", "sft", "eval", "sample", "check", "pairs", "dpo", "eval"]
    run = tmp_path / "runs" / "run1"
    samples = [json.loads(line) for line in (run / "dpo_iter1" / "samples.jsonl").read_text().splitlines()]
    keys = [(s["problem_id"], s["sample"]) for s in samples]
    assert len(keys) == len(set(keys)) == 8 * 2  # dpo_problems x samples_per_problem in tests/data/tiny.yaml
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0 and " [run] " not in again.stdout
