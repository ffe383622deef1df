"""Stage manifests: every pipeline step writes `<name>.manifest.json` beside its outputs (config hash,
input fingerprints, outputs, status). A re-run, or a resumed agent session, skips a step whose
manifest says done with the same config and inputs and whose outputs still exist."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable

from .distributed import barrier, rank_and_world
from .io import DataError, file_hash, read_json, write_json

SMALL_FILE = 64 * 1024 ** 2


def fingerprint(path: str | Path) -> str:
    """Content hash of small files; name/size/mtime hash of folders and large files (model weights)."""
    path = Path(path)
    if not path.exists():
        return "missing"
    if path.is_file() and path.stat().st_size <= SMALL_FILE:
        return file_hash(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for p in files:
        st = p.stat()
        digest.update(f"{p.relative_to(path) if path.is_dir() else p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def manifest_path(out_dir: str | Path, name: str) -> Path:
    return Path(out_dir) / f"{name}.manifest.json"


def _fingerprints(out_dir: Path, inputs: list) -> dict:
    """Input fingerprints keyed by path relative to the step's folder (a moved workspace stays valid)."""
    return {os.path.relpath(p, out_dir): fingerprint(p) for p in inputs}


def done_summary(out_dir: str | Path, name: str, config: dict, inputs: list) -> dict | None:
    """The stored summary when the step is complete and current, else None. A damaged manifest (manifests are written
    atomically, so only something outside the pipeline damages one) means "not done": the step runs again."""
    path = manifest_path(out_dir, name)
    if not path.is_file():
        return None
    try:
        m = read_json(path)
    except DataError:
        return None
    if not isinstance(m, dict):
        return None
    if m.get("status") != "done" or m.get("config_hash") != config_hash(config):
        return None
    if m.get("inputs") != _fingerprints(Path(out_dir), inputs):
        return None
    if not all((Path(out_dir) / o).exists() for o in m.get("outputs", [])):
        return None
    return m.get("summary", {})


def run_step(out_dir: str | Path, name: str, config: dict, inputs: list, outputs: list,
             fn: Callable[[], dict], log: Callable[[str], None] = print, every_rank: bool = False) -> dict:
    """Run `fn` unless its manifest says it is done for this config and these inputs.
    The manifest is written only after `fn` returns, so a failed or killed step re-runs.
    Under torchrun, an `every_rank` step (training, sharded sampling) runs on all ranks together and rank 0
    writes its manifest; any other step runs on rank 0 first, and the other ranks then find it done."""
    out_dir, rank, world = Path(out_dir), *rank_and_world()
    quiet = lambda _: None  # noqa: E731 - the other ranks do not repeat rank 0's log lines
    barrier()  # every rank decides run-or-skip on the same files
    if world > 1 and not every_rank:
        if rank == 0:
            summary = _run_step(out_dir, name, config, inputs, outputs, fn, log)
        barrier()
        if rank != 0:  # finds rank 0's manifest and skips
            summary = _run_step(out_dir, name, config, inputs, outputs, fn, quiet)
        return summary
    summary = _run_step(out_dir, name, config, inputs, outputs, fn, log if rank == 0 else quiet, write_manifest=rank == 0)
    barrier()
    return summary


def _run_step(out_dir: Path, name: str, config: dict, inputs: list, outputs: list, fn: Callable[[], dict],
              log: Callable[[str], None], write_manifest: bool = True) -> dict:
    summary = done_summary(out_dir, name, config, inputs)
    if summary is not None:
        log(f"[skip] {name}: done, config and inputs unchanged ({manifest_path(out_dir, name)})")
        return summary
    with step_lock(out_dir, name) if write_manifest and rank_and_world()[1] == 1 else contextlib.nullcontext():
        # (under torchrun the ranks coordinate through barriers; the lock is for separate commands and sessions)
        summary = done_summary(out_dir, name, config, inputs)  # another process may have finished it meanwhile
        if summary is not None:
            log(f"[skip] {name}: done by another process ({manifest_path(out_dir, name)})")
            return summary
        return _run_locked(out_dir, name, config, inputs, outputs, fn, log, write_manifest)


@contextlib.contextmanager
def step_lock(out_dir: Path, name: str):
    """One process at a time per step folder: a second session or `sokrates` command on the same step stops with a
    clear error instead of writing into the same files. The lock is the OS's (fcntl), released if the holder dies."""
    import fcntl
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f".{name}.lock"
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise DataError(f"{out_dir}: step {name} is running in {holder}. Fix: wait for it to finish (this "
                            "command then skips the step), or work on another run (--run-id).") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()} since {time.strftime('%H:%M:%S')}")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_locked(out_dir: Path, name: str, config: dict, inputs: list, outputs: list, fn: Callable[[], dict],
                log: Callable[[str], None], write_manifest: bool) -> dict:
    started = time.time()
    log(f"[run] {name}")
    summary = fn()
    if write_manifest:
        write_json(manifest_path(out_dir, name), {
            "step": name, "status": "done", "config_hash": config_hash(config), "config": config,
            "inputs": _fingerprints(out_dir, inputs), "outputs": [os.path.relpath(o, out_dir) for o in outputs],
            "started": started, "finished": time.time(), "wall_s": round(time.time() - started, 1), "summary": summary})
    return summary
