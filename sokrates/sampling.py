"""Sampling traces behind one interface, with three backends:

- `hf`: batched transformers `generate` (default): left padding, KV cache, batches sized to memory;
- `hf_continuous`: transformers' own continuous batching (`generate_batch`, paged attention): a request that ends
  frees its slot for the next at once, instead of a batch waiting for its longest trace;
- `vllm`: vLLM in-process, when installed (GPU);
- `openai`: any OpenAI-compatible server (`vllm serve`, ...) through the `openai` client.

Every backend stops at the first CONCLUDE (stop strings, not a token budget). Under torchrun or
accelerate each rank samples `problems[rank::world_size]` and the ranks' records are merged in the
original order on every rank: no rank repeats another's work.
"""
from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .choices import choice
from .io import DataError
from .distributed import gather, rank_and_world, shard
from .model import format_prompt, load_tokenizer
from .solver import verify_parsed
from .traces import STOP_STRINGS, parse_trace, truncate_at_conclude

BACKENDS = ("hf", "hf_continuous", "vllm", "openai")


@dataclass
class SampleSettings:
    backend: str = choice("hf", BACKENDS)
    samples_per_problem: int = 4
    temperature: float = 0.7
    top_p: float = 1.0
    max_steps: int = 12           # a trace longer than this is cut (it never CONCLUDEd)
    max_new_tokens: int | None = None  # default: max_steps x 40 tokens
    batch_size: int | None = None      # rows per generate call (hf); None sizes batches to memory
    seed: int = 0
    base_url: str | None = None   # openai backend
    model_name: str | None = None  # openai backend: the served model's name
    requests_in_flight: int = 64  # openai backend: prompts asked at once (a batching server batches only these)

    @property
    def token_budget(self) -> int:
        return self.max_new_tokens or self.max_steps * 40

    @property
    def decoding(self) -> dict:
        """transformers' generation arguments: sampling at the temperature and top-p, or greedy at temperature 0."""
        return dict(do_sample=True, temperature=self.temperature, top_p=self.top_p) if self.temperature > 0 \
            else dict(do_sample=False)


class Sampler:
    """Generates `n` completions for each prompt; completions end at the first CONCLUDE."""

    def generate(self, prompts: list[str], n: int, s: SampleSettings, progress: bool = True) -> list[list[str]]:
        raise NotImplementedError


class HFSampler(Sampler):
    attn_implementation = "sdpa"

    def __init__(self, model_dir: str | Path, device: str | None = None):
        from .model import load_model
        self.tokenizer = load_tokenizer(model_dir)
        self.tokenizer.padding_side = "left"
        self.model = load_model(model_dir, device, self.tokenizer, attn_implementation=self.attn_implementation).eval()

    def _batch_rows(self, s: SampleSettings, prompt_tokens: int) -> int:
        if s.batch_size:
            return s.batch_size
        import torch
        cfg = self.model.config
        seq = prompt_tokens + s.token_budget
        heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
        head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        size = self.model.dtype.itemsize
        per_row = 2 * cfg.num_hidden_layers * heads * head_dim * seq * size  # the KV cache at the longest trace
        per_row += 2 * cfg.vocab_size * 4  # the next token's logits and processed scores (fp32): generate keeps no more
        mlp = getattr(cfg, "intermediate_size", None) or 4 * cfg.hidden_size
        per_row += prompt_tokens * (mlp + 4 * cfg.hidden_size) * size  # the prompt's activations in one prefill layer
        if self.model.device.type == "cuda":
            free = torch.cuda.mem_get_info()[0] * 0.6
            return int(max(1, min(1024, free // per_row)))
        return int(max(1, min(64, 2 * 1024 ** 3 // per_row)))

    def generate(self, prompts, n, s, progress=True):
        import torch
        from tqdm import tqdm
        torch.manual_seed(s.seed)
        rows = [p for p in prompts for _ in range(n)]
        longest = max((len(self.tokenizer(p)["input_ids"]) for p in prompts), default=0)
        size = self._batch_rows(s, longest)
        out: list[str] = []
        for start in tqdm(range(0, len(rows), size), desc="sampling", unit="batch", disable=not progress):
            batch = rows[start:start + size]
            enc = self.tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False).to(self.model.device)
            try:
                with torch.no_grad():
                    gen = self.model.generate(**enc, max_new_tokens=s.token_budget, stop_strings=STOP_STRINGS,
                                              tokenizer=self.tokenizer, use_cache=True,
                                              pad_token_id=self.tokenizer.pad_token_id, **s.decoding)
            except torch.OutOfMemoryError:
                raise DataError(f"out of memory while sampling {len(batch)} rows at once. Fix: set sample.batch_size "
                                "lower in the run's config.yaml.") from None
            texts = self.tokenizer.batch_decode(gen[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            out += [truncate_at_conclude(t) for t in texts]
        return [out[i * n:(i + 1) * n] for i in range(len(prompts))]


class ContinuousSampler(HFSampler):
    """transformers' continuous batching: every prompt's `n` samples are requests of one `generate_batch` call,
    scheduled token by token over a paged KV cache. It has no stop strings: a trace runs to its end-of-sequence token
    (or the token budget) and is cut after its first CONCLUDE, so greedy outputs equal the `hf` backend's."""
    attn_implementation = "paged|sdpa"

    def generate(self, prompts, n, s, progress=True):
        import torch
        from transformers import GenerationConfig
        torch.manual_seed(s.seed)
        ids = [self.tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        config = GenerationConfig(max_new_tokens=s.token_budget, use_cache=True, eos_token_id=self.tokenizer.eos_token_id,
                                  pad_token_id=self.tokenizer.pad_token_id, **s.decoding)
        with torch.no_grad():  # one request per sample; results come back keyed by request, matched by prompt
            results = self.model.generate_batch(inputs=[i for i in ids for _ in range(n)], generation_config=config,
                                                progress_bar=progress)
        by_prompt: dict[tuple, list] = {}
        for r in results.values():  # the samples of one prompt are interchangeable
            by_prompt.setdefault(tuple(r.prompt_ids), []).append(r.generated_tokens)
        errors = [r.error for r in results.values() if r.error]
        if errors or {k: len(v) for k, v in by_prompt.items()} != Counter(tuple(i) for i in ids for _ in range(n)):
            raise DataError(f"continuous batching returned {len(results)} results for {len(ids) * n} samples"
                            f"{f' ({errors[0]})' if errors else ''}. Fix: use sample.backend: hf.")
        return [[truncate_at_conclude(self.tokenizer.decode(by_prompt[tuple(i)].pop(0), skip_special_tokens=True))
                 for _ in range(n)] for i in ids]


class VLLMSampler(Sampler):
    def __init__(self, model_dir: str | Path, **engine_kwargs):
        from vllm import LLM
        self.tokenizer = load_tokenizer(model_dir)
        self.llm = LLM(model=str(model_dir), tokenizer=str(model_dir), **engine_kwargs)

    def generate(self, prompts, n, s, progress=True):
        from vllm import SamplingParams
        params = SamplingParams(n=n, temperature=s.temperature, top_p=s.top_p, max_tokens=s.token_budget,
                                stop=STOP_STRINGS, include_stop_str_in_output=True, seed=s.seed)
        results = self.llm.generate(prompts, params, use_tqdm=progress)
        return [[truncate_at_conclude(c.text) for c in r.outputs] for r in results]


class OpenAISampler(Sampler):
    """Any OpenAI-compatible completions endpoint (`vllm serve`, `transformers serve`, ...). The key comes from
    OPENAI_API_KEY (never logged). vLLM's `include_stop_str_in_output` is sent until a server refuses the field
    (`transformers serve` does, and keeps the stop string in the text anyway); a server that answers fewer choices
    than `n` (`transformers serve` answers one) is asked again, with the next seed, for the rest."""

    def __init__(self, model_dir: str | Path | None, base_url: str, model_name: str | None = None):
        from openai import OpenAI
        self.client = OpenAI(base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY", "EMPTY"))
        self.model_name = model_name or self._reached(lambda: self.client.models.list().data[0].id)
        self.tokenizer = load_tokenizer(model_dir) if model_dir else None
        self.stop_field = True

    def _reached(self, call):
        """call() with a server that cannot be reached, refuses the key or lacks the model as a one-line error."""
        import openai
        try:
            return call()
        except (openai.APIConnectionError, openai.AuthenticationError, openai.PermissionDeniedError,
                openai.NotFoundError) as err:
            raise DataError(f"{self.client.base_url}: {type(err).__name__} ({str(err)[:120]}). Fix: start the server "
                            "(`vllm serve` or `transformers serve MODEL`), check --base-url, the model name "
                            "(sample.model_name) and OPENAI_API_KEY.") from None

    def _choices(self, prompt: str, n: int, s: SampleSettings, seed: int) -> list:
        import openai
        request = dict(model=self.model_name, prompt=prompt, n=n, temperature=s.temperature, top_p=s.top_p,
                       max_tokens=s.token_budget, stop=STOP_STRINGS, seed=seed)
        if self.stop_field:
            try:
                return self._reached(lambda: self.client.completions.create(
                    **request, extra_body={"include_stop_str_in_output": True}).choices)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
                if "include_stop_str_in_output" not in f"{err} {err.body}":
                    raise
                self.stop_field = False
        return self._reached(lambda: self.client.completions.create(**request).choices)

    def _samples(self, prompt: str, n: int, s: SampleSettings) -> list[str]:
        """The prompt's n completions, asked for again (next seed) until the server has given n."""
        choices: list = []
        while len(choices) < n:
            got = self._choices(prompt, n - len(choices), s, s.seed + len(choices))
            if not got:
                raise DataError(f"{self.client.base_url}: the server answered no completion. Fix: check the "
                                "server's log and the model name (--model-name).")
            choices += sorted(got, key=lambda c: c.index)
        texts = []
        for completion in choices:
            text = completion.text
            stop = getattr(completion, "stop_reason", None)  # vLLM names the stop string it hit
            if isinstance(stop, str) and stop in STOP_STRINGS and not text.endswith(stop):
                text += stop
            texts.append(truncate_at_conclude(text))
        return texts

    def generate(self, prompts, n, s, progress=True):
        """`s.requests_in_flight` prompts at a time, each from its own thread, so that a server that batches
        (`vllm serve`, `transformers serve --continuous-batching`) has them to batch; answers keep the prompts' order."""
        from concurrent.futures import ThreadPoolExecutor

        from tqdm import tqdm
        with ThreadPoolExecutor(max_workers=max(1, s.requests_in_flight)) as pool:
            answers = pool.map(lambda prompt: self._samples(prompt, n, s), prompts)
            return list(tqdm(answers, total=len(prompts), desc="sampling", unit="problem", disable=not progress))


@contextmanager
def transformers_serve(model_dir: str | Path, *options: str, wait_s: float = 300):
    """transformers' own OpenAI-compatible server (`transformers serve MODEL_DIR OPTIONS`) on a free local port, for
    the `openai` backend; yields its base URL and stops the server on exit. The server's output is kept aside: its
    last line is the error when the server does not start."""
    import socket
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.request
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([sys.executable, "-m", "transformers.cli.transformers", "serve", str(Path(model_dir).resolve()),
                               "--host", "127.0.0.1", "--port", str(port), *options], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
                    raise DataError(f"`transformers serve {model_dir}` did not start ({tail[0][:300]}). Fix: "
                                    "`pip install fastapi uvicorn` (transformers[serving]) and check the model folder.")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def make_sampler(model_dir: str | Path | None, s: SampleSettings) -> Sampler:
    if s.backend == "hf":
        return HFSampler(model_dir)
    if s.backend == "hf_continuous":
        return ContinuousSampler(model_dir)
    if s.backend == "vllm":
        return VLLMSampler(model_dir)
    if s.backend == "openai":
        if not s.base_url:
            raise ValueError("the openai backend needs --base-url (e.g. http://localhost:8000/v1 of `vllm serve`).")
        return OpenAISampler(model_dir, s.base_url, s.model_name)
    raise ValueError(f"unknown sampling backend {s.backend!r}: use one of {BACKENDS}.")


# ---------------------------------------------------------------- sample and verify

def sample_records(problems: list, sampler: Sampler, s: SampleSettings, template: str,
                   progress: bool = True) -> list[dict]:
    """Sample `samples_per_problem` traces per problem (this rank's share), verify each step,
    gather all ranks' records in problem order."""
    rank, world = rank_and_world()
    mine = shard(problems, rank, world)
    tokenizer = getattr(sampler, "tokenizer", None)
    prompts = [format_prompt(tokenizer, p.prompt(template)) if tokenizer else p.prompt(template) for p in mine]
    texts = sampler.generate(prompts, s.samples_per_problem, s, progress and rank == 0)
    per_problem = [[trace_record(p, k, t) for k, t in enumerate(ts)] for p, ts in zip(mine, texts)]
    return [r for rs in gather(per_problem, len(problems)) for r in rs]


def trace_record(problem, k: int, text: str) -> dict:
    """One line of samples.jsonl: the trace and its verdicts (docs/metrics.md)."""
    from .causes import analyse
    parsed = parse_trace(text, len(problem.premises))
    result = verify_parsed(problem, parsed)
    steps = parsed.steps[:len(result.steps)]
    causes, local = (analyse(parsed, problem.formulas, problem.query_formula, [r.valid for r in result.steps])
                     if problem.verifiable else ([None] * len(steps), [False] * len(steps)))
    return {"problem_id": problem.id, "sample": k, "hops": problem.hops, "gold": problem.label,
            "verifiable": problem.verifiable, "text": text, "label": result.label,
            "answer_correct": result.answer_correct, "valid": result.valid, "trace_verdict": parsed.verdict,
            "steps": [{"option": st.option, "args": st.args, "claim": st.claim, "verdict": st.verdict,
                       "valid": r.valid, "reason": r.reason, "cause": c, "local_valid": lv}
                      for st, r, c, lv in zip(steps, result.steps, causes, local)]}
