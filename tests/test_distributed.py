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
