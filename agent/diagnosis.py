"""Failure diagnosis for the failure gate (lesson 8: symptoms, code location, what was tried).
Rule-based; with an LLM configured, the LLM drafts it from prompts/diagnose.md."""
from __future__ import annotations

# (text in the error, what it means and the setting to change, the recommendation: None = retry, then abort).
# Errors that will recur identically on a retry recommend abort (fix the setting, then resume).
HINTS = [
    ("num_samples should be a positive integer", "the trainer got an empty dataset: every example was dropped, "
     "usually because the prompt alone is longer than max_length; set sft.max_length (or dpo.max_length) to the "
     "value the data check names, or use a model with more positions", "abort"),
    ("index out of range in self", "a sequence is longer than the model's positions (or a token id beyond its "
     "embedding): shorten the prompt template or problems, or use a model with more positions", "abort"),
    ("out of memory", "memory ran out: retry_with_changes halves sft.batch_size, dpo.batch_size and "
     "sample.batch_size", "retry_with_changes"),
    ("pad_token", "the tokenizer has no pad or eos token: save a tokenizer with an eos token in the model folder",
     "abort"),
    ("chat template", "the model's chat template changes the prompt: check that training and sampling format it "
     "alike (sokrates.model.format_prompt)", "abort"),
    ("exceed", "examples are longer than the limit the error names: raise that setting to the value it names",
     "abort"),
    ("holds only", "examples are longer than the model's positions: a shorter prompt template or another model",
     "abort"),
    ("pair set is empty", "no problem had both a valid and an invalid sample: sample more traces per problem or "
                          "raise the temperature (the pairs gate offers resample)", None),
    ("is running in", "another session or command is running this step of the same run: wait for it (then resume, "
     "and the finished step is skipped), or start this work on another run (--run-id)", "abort"),
    ("not a model folder", "the model folder is missing or incomplete: check the path or run `sokrates model init`",
     "abort"),
    ("file not found", "an input file is missing: an earlier step did not finish; retry runs it again", None),
    ("malformed", "an input file is corrupt: regenerate it (delete it and its <step>.manifest.json, then retry)", None),
    ("tokenizer", "the tokenizer does not fit the model: save the model's own tokenizer in its folder", "abort"),
]


def _hint(error: str) -> tuple[str, str | None]:
    return next(((h, rec) for key, h, rec in HINTS if key in error.lower()),
                ("see the error and the code location; retry once, then skip or abort", None))


def recommendation(failure: dict) -> str:
    """The failure gate's recommended choice: the cause's own (abort for errors that a retry repeats), else retry
    twice, then abort."""
    recommended = _hint(failure["error"])[1]
    if recommended == "retry_with_changes" and "retry_with_changes" in failure.get("tried", []):
        return "abort" if failure["attempts"] >= 3 else "retry_with_changes"
    return recommended or ("retry" if failure["attempts"] < 2 else "abort")


def diagnose(failure: dict, state: dict) -> str:
    error = failure["error"]
    hint = _hint(error)[0]
    tried = ", ".join(failure.get("tried") or []) or "nothing yet"
    rules = (f"Symptoms: {error}\nCode location: {failure['location']}\nWhat was tried: {tried} "
             f"(attempt {failure['attempts']})\nLikely cause / what to try: {hint}")
    llm_settings = state.get("llm") or {}
    if not llm_settings.get("base_url"):
        return rules
    from .llm import LLM, LLMSettings, render_prompt
    text = LLM(LLMSettings.from_state(llm_settings), warn=lambda m: None).text(render_prompt(
        "diagnose.md", step=failure["step"], error=error, location=failure["location"],
        settings=state.get("overrides", {}), tried=tried))
    return f"{rules}\n\nLLM diagnosis:\n{text}" if text else rules
