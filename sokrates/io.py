"""Reading and writing the pipeline's JSON files: clear one-line errors, atomic writes."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable


class DataError(Exception):
    """Bad input: the message names the file (and line) and says how to fix it."""


def read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found. Fix: check the path, or create it with the step that writes it.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: malformed JSON ({err.msg}). Fix: repair or regenerate the file.") from None
    except UnicodeDecodeError:
        raise not_text(path) from None


def not_text(path: str | Path) -> DataError:
    """The error for a binary or non-UTF-8 file where JSON text was expected."""
    return DataError(f"{path}: not UTF-8 text (a binary file, or another encoding). Fix: pass the JSON/JSONL file "
                     "itself, saved as UTF-8.")


def read_jsonl(path: str | Path, errors: list[tuple[int, str]] | None = None) -> list[dict]:
    """Records of a JSONL file; blank lines are skipped, every record must be a JSON object.
    Each record gets "_line" (1-based). A bad line raises DataError, or, when `errors` is a
    list, is recorded there as (line, message) and skipped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found. Fix: check the path, or create it with the step that writes it.")
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError:
        raise not_text(path) from None
    records = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            problem = None if isinstance(record, dict) else f"expected a JSON object, got {type(record).__name__}"
        except json.JSONDecodeError as err:
            problem = f"malformed JSONL line ({err.msg})"
        if problem:
            if errors is None:
                raise DataError(f"{path}:{lineno}: {problem}. Fix: repair that line or regenerate the file.")
            errors.append((lineno, problem))
            continue
        record["_line"] = lineno
        records.append(record)
    return records


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, text: str) -> None:
    """Write-then-rename. One permission policy for every file the pipeline writes: what the user's umask gives a
    new file (0644 under the usual 022), the same as the model files transformers saves; mkstemp's private 0600 is
    not kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically (write-then-rename): a crash leaves the old file or the new."""
    _atomic_write(Path(path), text)


def write_json(path: str | Path, data: Any) -> None:
    _atomic_write(Path(path), json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_jsonl(path: str | Path, records: Iterable[dict]) -> None:
    lines = (json.dumps({k: v for k, v in r.items() if not k.startswith("_")}) for r in records)
    _atomic_write(Path(path), "".join(line + "\n" for line in lines))


def file_hash(path: str | Path) -> str:
    """sha256 of a file, or of every file under a folder (names and contents)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        digest.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()
