"""Failure diagnosis for the failure gate (lesson 8: symptoms, code location, what was tried).
Rule-based; with an LLM configured, the LLM drafts it from prompts/diagnose.md."""
from __future__ import annotations

HINTS = [
    ("out of memory", "memory ran out: retry with changed settings halves the batch sizes"),
    ("pair set is empty", "no problem had both a valid and an invalid sample: sample more traces per problem or "
                          "raise the temperature (the pairs gate offers resample)"),
    ("not a model folder", "the model folder is missing or incomplete: check the path or run `sokrates model init`"),
    ("file not found", "an input file is missing: an earlier step did not finish; retry runs it again"),
    ("malformed", "an input file is corrupt: regenerate it (delete it and its <step>.manifest.json, then retry)"),
    ("tokenizer", "the tokenizer does not fit the model: save the model's own tokenizer in its folder"),
]


def diagnose(failure: dict, state: dict) -> str:
    error = failure["error"]
    hint = next((h for key, h in HINTS if key in error.lower()), "see the error and the code location; retry once, "
                "then skip or abort")
    tried = ", ".join(failure.get("tried") or []) or "nothing yet"
    rules = (f"Symptoms: {error}\nCode location: {failure['location']}\nWhat was tried: {tried} "
             f"(attempt {failure['attempts']})\nLikely cause / what to try: {hint}")
    llm_settings = state.get("llm") or {}
    if not llm_settings.get("base_url"):
        return rules
    from .llm import LLM, LLMSettings, render_prompt
    text = LLM(LLMSettings(**llm_settings), warn=lambda m: None).text(render_prompt(
        "diagnose.md", step=failure["step"], error=error, location=failure["location"],
        settings=state.get("overrides", {}), tried=tried))
    return f"{rules}\n\nLLM diagnosis:\n{text}" if text else rules
