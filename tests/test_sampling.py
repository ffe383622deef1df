"""The continuous-batching backend, and the openai backend against `transformers serve`, both against batched
generate on the shipped checkpoint (CPU)."""
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def transformers_serve():
    """`transformers serve` (transformers' own OpenAI-compatible server) on a free local port, serving the shipped
    checkpoint from its folder."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli = Path(sys.executable).with_name("transformers")
    server = subprocess.Popen([str(cli), "serve", str(Path(MODEL).resolve()), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/models", timeout=1)
                break
            except OSError:
                assert server.poll() is None, "transformers serve exited"
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_openai_backend_through_transformers_serve_gives_generates_greedy_traces(transformers_serve):
    """The server ignores `n` and refuses vLLM's `include_stop_str_in_output`: the sampler asks again for the missing
    samples and drops the field, and at temperature 0 its traces are batched generate's, stopped at CONCLUDE."""
    problems = generate(replace(LoopConfig().data.generator(train=False), n=3))
    template = model_template(MODEL)
    greedy = SampleSettings(samples_per_problem=2, temperature=0.0)
    served = make_sampler(MODEL, replace(greedy, backend="openai", base_url=transformers_serve))
    records = sample_records(problems, served, greedy, template, progress=False)
    expected = sample_records(problems, HFSampler(MODEL), greedy, template, progress=False)
    assert [r["problem_id"] for r in records] == [p.id for p in problems for _ in range(2)]
    assert [r["text"] for r in records] == [r["text"] for r in expected]
    assert served.stop_field is False and all('"CONCLUDE"' in r["text"] for r in records)
