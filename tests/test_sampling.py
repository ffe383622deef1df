"""The continuous-batching backend, and the openai backend against `transformers serve`, both against batched
generate on the shipped checkpoint (CPU)."""
import json
import threading
import time
from dataclasses import replace
from http.server import ThreadingHTTPServer

import pytest

from tests.conftest import JSONHandler
from sokrates.io import DataError
from sokrates.loop import LoopConfig
from sokrates.model import model_template
from sokrates.problems import generate
from sokrates.sampling import (ContinuousSampler, HFSampler, SampleSettings, make_sampler, sample_records,
                               transformers_serve)
from sokrates.traces import STOP_STRINGS, truncate_at_conclude

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
def served():
    """`transformers serve` (transformers' own OpenAI-compatible server) serving the shipped checkpoint's folder."""
    with transformers_serve(MODEL) as url:
        yield url


def test_a_server_that_cannot_start_is_a_one_line_error_naming_the_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")  # no model type, no weights
    with pytest.raises(DataError, match=f"transformers serve {tmp_path}` did not start"):
        with transformers_serve(tmp_path, wait_s=120):
            pass


def test_the_openai_backend_through_transformers_serve_gives_generates_greedy_traces(served):
    """The server ignores `n` and refuses vLLM's `include_stop_str_in_output`: the sampler asks again for the missing
    samples and drops the field, and at temperature 0 its traces are batched generate's, stopped at CONCLUDE."""
    problems = generate(replace(LoopConfig().data.generator(train=False), n=3))
    template = model_template(MODEL)
    greedy = SampleSettings(samples_per_problem=2, temperature=0.0)
    sampler = make_sampler(MODEL, replace(greedy, backend="openai", base_url=served))
    records = sample_records(problems, sampler, greedy, template, progress=False)
    expected = sample_records(problems, HFSampler(MODEL), greedy, template, progress=False)
    assert [r["problem_id"] for r in records] == [p.id for p in problems for _ in range(2)]
    assert [r["text"] for r in records] == [r["text"] for r in expected]
    assert sampler.stop_field is False and all('"CONCLUDE"' in r["text"] for r in records)


class SlowCompletions(JSONHandler):
    """A completions server that answers one choice per request after `delay` seconds (its text names the prompt
    and the seed) and counts the requests it holds at once."""
    delay, in_flight, most = 0.2, 0, 0
    lock = threading.Lock()

    def do_GET(self):  # /v1/models
        self.reply(200, {"object": "list", "data": [{"id": "slow", "object": "model", "created": 0, "owned_by": "x"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        time.sleep(cls.delay)
        with cls.lock:
            cls.in_flight -= 1
        text = f'{body["prompt"]} seed {body["seed"]}: Action: {STOP_STRINGS[0]} Action: more'
        self.reply(200, {"id": "x", "object": "text_completion", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}]})


def test_the_openai_backend_keeps_many_requests_in_flight_and_the_prompts_order():
    """A batching server batches only the requests it holds at once: the backend asks for many prompts together, and
    each prompt's answers still come back in its place, every sample with its own seed, cut after CONCLUDE."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowCompletions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        s = SampleSettings(backend="openai", base_url=f"http://127.0.0.1:{server.server_port}/v1", seed=5,
                           samples_per_problem=2, requests_in_flight=8)
        prompts = [f"problem {i}" for i in range(16)]
        started = time.perf_counter()
        answers = make_sampler(None, s).generate(prompts, 2, s, progress=False)
        wall = time.perf_counter() - started
    finally:
        server.shutdown()
    assert answers == [[f"{p} seed {k}: Action: {STOP_STRINGS[0]}" for k in (5, 6)] for p in prompts]
    assert SlowCompletions.most == 8  # 32 requests of 0.2 s each: one at a time would take 6.4 s
    assert wall < 32 * SlowCompletions.delay / 2


def test_an_unreachable_server_is_a_one_line_error_naming_it_and_the_fix():
    import socket
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = SampleSettings(backend="openai", base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(DataError, match=rf"127.0.0.1:{port}/v1/: APIConnectionError .*Fix: start the server"):
        make_sampler(None, s)
