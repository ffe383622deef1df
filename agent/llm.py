"""The agent's LLM client: any OpenAI-compatible endpoint through the `openai` package.

Configured by --llm-base-url / OPENAI_BASE_URL and --llm-model / SOKRATES_LLM_MODEL; the key comes from
OPENAI_API_KEY and is never written to state or logs. Without an endpoint the agent uses its rules and
templates. Every answer is validated; an invalid one returns None with a warning, never an exception."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
TIMEOUT_S = float(os.environ.get("SOKRATES_LLM_TIMEOUT") or 60.0)  # one LLM call (seconds); past it the rules decide


@dataclass
class LLMSettings:
    base_url: str | None = None
    model: str | None = None

    @classmethod
    def resolve(cls, base_url: str | None = None, model: str | None = None) -> "LLMSettings":
        return cls(base_url or os.environ.get("OPENAI_BASE_URL") or None,
                   model or os.environ.get("SOKRATES_LLM_MODEL") or None)

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)

    def to_state(self) -> dict:
        """What the checkpoint keeps: no key, and the endpoint without credentials (user:password@, ?token=...);
        the full address stays in this process's memory (and in OPENAI_BASE_URL for a later resume)."""
        safe = redact_url(self.base_url)
        if safe != self.base_url:
            _FULL_URLS[safe] = self.base_url
        return {"base_url": safe, "model": self.model}

    @classmethod
    def from_state(cls, data: dict) -> "LLMSettings":
        """Settings from a checkpoint: a redacted endpoint gets its credentials back from this process or from
        OPENAI_BASE_URL when that is the same endpoint; otherwise it is used as it is (and fails over to the rules)."""
        url = data.get("base_url")
        env = os.environ.get("OPENAI_BASE_URL")
        full = _FULL_URLS.get(url) or (env if env and url and redact_url(env) == url else url)
        return cls(full, data.get("model"))


_FULL_URLS: dict[str, str] = {}
_SECRET_PARAM = re.compile(r"(token|key|secret|password|passwd|pwd|auth|sig|signature|credential)", re.I)


def redact_url(url: str | None) -> str | None:
    """An endpoint address without credentials: the user-info part and secret-looking query values become ***."""
    if not url:
        return url
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def render_prompt(name: str, **values) -> str:
    return (PROMPTS_DIR / name).read_text(encoding="utf-8").format(**values)


class LLM:
    def __init__(self, settings: LLMSettings, warn=print):
        from openai import OpenAI
        self.settings = settings
        self.warn = warn
        self.client = OpenAI(base_url=settings.base_url, api_key=os.environ.get("OPENAI_API_KEY", "EMPTY"),
                             timeout=TIMEOUT_S, max_retries=1)

    def _model(self) -> str:
        return self.settings.model or self.client.models.list().data[0].id

    def text(self, prompt: str) -> str | None:
        try:
            resp = self.client.chat.completions.create(model=self._model(), temperature=0,
                                                       messages=[{"role": "user", "content": prompt}])
            return resp.choices[0].message.content or ""
        except Exception as err:  # noqa: BLE001 - any transport/server error means: use the rules
            self.warn(f"LLM call failed ({type(err).__name__}: {str(err)[:120]}); using the rules instead")
            return None

    def structured(self, prompt: str, schema: type[BaseModel]) -> BaseModel | None:
        """An answer validated against `schema`, or None (with a warning) when it does not validate."""
        content = self.text(prompt)
        if content is None:
            return None
        match = re.search(r"\{.*\}", content, re.S)
        try:
            return schema.model_validate(json.loads(match.group(0) if match else content))
        except (ValueError, ValidationError) as err:
            self.warn(f"LLM answer is not a valid {schema.__name__} ({str(err).splitlines()[0][:120]}); "
                      "falling back to the rules")
            return None
