"""The continuous-batching backend against batched generate on the shipped checkpoint (CPU)."""
from dataclasses import replace

from sokrates.loop import LoopConfig
from sokrates.model import model_template
from sokrates.problems import generate
from sokrates.sampling import ContinuousSampler, HFSampler, SampleSettings, make_sampler, sample_records
from sokrates.traces import truncate_at_conclude

MODEL = "checkpoints/tiny-sft"


def test_continuous_batching_gives_generates_greedy_traces_and_n_samples_each():
    problems = generate(replace(LoopConfig().data.generator(train=False), n=6))
    template = model_template(MODEL)
    greedy = SampleSettings(samples_per_problem=1, temperature=0.0)
    continuous = make_sampler(MODEL, replace(greedy, backend="hf_continuous"))
    assert isinstance(continuous, ContinuousSampler)
    expected = [r["text"] for r in sample_records(problems, HFSampler(MODEL), greedy, template, progress=False)]
    assert [r["text"] for r in sample_records(problems, continuous, greedy, template, progress=False)] == expected
    sampled = SampleSettings(samples_per_problem=3, temperature=0.7, seed=1)
    records = sample_records(problems + problems[:1], continuous, sampled, template, progress=False)  # a repeat
    assert [r["problem_id"] for r in records] == [p.id for p in problems + problems[:1] for _ in range(3)]
    assert all(r["text"] and truncate_at_conclude(r["text"]) == r["text"] for r in records)
    assert records == sample_records(problems + problems[:1], continuous, sampled, template, progress=False)  # seeded
