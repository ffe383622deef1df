"""Settings that take one of a fixed set of values (a trace style, a sampling backend, a learning-rate schedule),
checked when a config is read, so that a typo is a one-line error before any step runs, not a traceback after SFT."""
from __future__ import annotations

from dataclasses import Field, field

from .io import DataError


def choice(default: str, options) -> Field:
    """A dataclass field whose value must be one of `options` (a tuple, or a function returning one, for options
    that need an import); the default is not checked."""
    return field(default=default, metadata={"choices": options})


def check_choice(f: Field, value, where: str) -> None:
    """Raise a DataError naming `where` and the allowed values when `value` is not one of the field's choices."""
    options = f.metadata.get("choices")
    if options is None or value == f.default:
        return
    options = tuple(options() if callable(options) else options)
    if value not in options:
        raise DataError(f"{where}: {value!r} is not one of {list(options)}. Fix: use one of them.")
