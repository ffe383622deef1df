"""The metrics index: every number under a folder, whatever its layout, as (file, key, value, names).

JSON and YAML of any nesting, JSON Lines (`#` comment lines skipped), CSV (a header row; the text cells of a row
name its numbers). A number's names are the canonical words (names.words) of its folders, file name, keys, the
text fields that label its record ("stage": "sft", "method": "sokrates") and, in a CSV, its row's text cells and
its column header. Files that cannot be read are skipped and listed, never fatal. Per-seed results (a `seedN`
folder, file name, row or key, or a CSV's `seed` column) also give the mean and standard deviation of each key
across seeds."""
from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from sokrates.io import DataError

from .names import words

SKIP_FILES = ("samples.jsonl", "pairs.jsonl", "train.jsonl", "test.jsonl", "tokenizer.json", "tokenizer_config.json",
              "special_tokens_map.json", "generation_config.json", "vocab.json", "added_tokens.json")
LABEL_KEYS = {"name", "stage", "model", "method", "dataset", "split", "run", "checkpoint", "label", "setting",
              "variant", "task", "system", "backend", "config"}
ITERATION_KEYS = {"iteration", "iter", "round", "dpo_iteration"}
SEED = re.compile(r"seed[_-]?\d+", re.I)
SETTING_LEAVES = {"beta": "beta", "learning_rate": "learning_rate", "lr": "learning_rate", "temperature": "temperature"}


@dataclass(frozen=True, eq=False)
class Entry:
    file: str            # path relative to the metrics folder
    key: str             # where in the file: dotted keys, [i] for list items, row.column in a CSV
    value: float
    names: frozenset     # canonical words naming the number
    key_names: frozenset = frozenset()  # those from its key and record labels alone (not folders or file name)
    kind: str = "other"  # eval | check | config | train | other
    alt: float | None = None  # a second acceptable value (a population std beside the sample std)

    @cached_property
    def leaf(self) -> str:
        return re.split(r"[.\[]", self.key)[-1].rstrip("]").lower()

    @property
    def where(self) -> str:
        return f"{self.file}:{self.key}"


def _file_kind(rel: str) -> str:
    parts = [p.lower() for p in Path(rel).parts]
    name = parts[-1]
    if name.startswith(("config", "hparams", "hyperparameters", "args", "settings")):
        return "config"
    if name.startswith(("check", "sample")) or "samples" in parts or "sample_check" in parts:
        return "check"
    if "eval" in parts or "evals" in parts or name.startswith(("eval", "result", "summary")) and "eval" in name:
        return "eval"
    if name.startswith(("train", "metrics", "trainer")):
        return "train"
    return "eval" if name.startswith(("summary", "results", "aggregate")) else "other"


def _is_path(text: str) -> bool:
    """A file-system path ("/tmp/ws/runs/r1/sft/model"), not a name: its folders would name the entry after wherever
    the workspace happened to be. A hub id ("org/name") stays a label."""
    return text.startswith(("/", "./", "../", "~")) or text.count("/") >= 2 or "\\" in text


def _flatten(obj, prefix: str, labels: tuple):
    """(key, value, labels) for every number; labels are the text fields naming the dicts it sits in."""
    if isinstance(obj, dict):
        here = tuple(v for k, v in obj.items()
                     if str(k).lower() in LABEL_KEYS and isinstance(v, str) and len(v) < 60 and not _is_path(v))
        # a record numbered by its iteration ({"iteration": 2, "pairs": 1410}) is that iteration's
        here += tuple(f"iteration {v}" for k, v in obj.items() if str(k).lower() in ITERATION_KEYS
                      and isinstance(v, int) and not isinstance(v, bool) and v >= 1)  # 0 is SFT, named otherwise
        for k, v in obj.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k), labels + here)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _flatten(v, f"{prefix}[{i}]", labels)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield prefix, float(obj), labels
    elif isinstance(obj, str) and re.fullmatch(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", obj.strip(), re.I):
        yield prefix, float(obj), labels  # numbers written as strings (YAML "2e-3", CSV-like JSON)


def _csv_items(path: Path):
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return
    header = rows[0]
    texts = [[c.strip() for c in row if c.strip() and _number(c) is None] for row in rows[1:]]
    seed = next((i for i, h in enumerate(header) if h.strip().lower() == "seed"), None)
    if seed is not None:  # rows told apart by their seed alone name it, so that the seeds' mean can be taken
        texts = [t + [f"seed{int(_number(row[seed]))}"] if seed < len(row) and _number(row[seed]) is not None
                 and not any(SEED.search(c) for c in t) else t for row, t in zip(rows[1:], texts)]
    firsts = Counter(t[0] for t in texts if t)
    for i, (row, text) in enumerate(zip(rows[1:], texts)):
        # a row is named by its first text cell, or by all of them where that one repeats (method x dataset rows)
        label = (text[0] if firsts[text[0]] == 1 else "/".join(text)) if text else f"[{i}]"
        for col, cell in enumerate(row):
            value = _number(cell)
            if value is not None:
                column = header[col] if col < len(header) else str(col)
                yield f"{label}.{column}", value, tuple(text) + (column,)


def _number(cell: str) -> float | None:
    try:
        return float(str(cell).strip().replace(",", "").rstrip("%"))
    except ValueError:
        return None


@dataclass
class MetricsIndex:
    root: Path
    entries: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)   # "path: why" for files skipped
    notes: list = field(default_factory=list)        # things read with care (comment lines skipped, ...)
    objects: dict = field(default_factory=dict)      # parsed JSON/YAML documents, by relative path

    @classmethod
    def load(cls, root: Path) -> "MetricsIndex":
        root = Path(root)
        if not root.is_dir():
            raise DataError(f"{root}: metrics folder not found. Fix: pass --metrics with the folder holding runs' files.")
        index = cls(root)
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name not in SKIP_FILES and not path.name.endswith(".manifest.json") \
                    and path.suffix.lower() in (".json", ".jsonl", ".csv", ".yaml", ".yml"):
                index._read(path)
        index._seed_statistics()
        index._settings_as_names()
        index.by_name = {}
        for i, e in enumerate(index.entries):
            for w in e.names:
                index.by_name.setdefault(w, []).append(i)
        index.by_where = {e.where: e for e in index.entries}
        return index

    def _read(self, path: Path) -> None:
        rel = path.relative_to(self.root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".jsonl":
                items, skipped = [], 0
                for i, line in enumerate(text.splitlines()):
                    if line.lstrip().startswith(("#", "//")) or not line.strip():
                        skipped += line.lstrip().startswith(("#", "//"))
                        continue
                    items += [(f"[{i}].{k}", v, lab) for k, v, lab in _flatten(json.loads(line), "", ())]
                if skipped:
                    self.notes.append(f"{rel}: {skipped} comment line(s) skipped")
            elif path.suffix == ".csv":
                items = list(_csv_items(path))
            else:
                obj = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
                if isinstance(obj, dict) and "architectures" in obj and "model_type" in obj:
                    return  # a model's own config.json: its sizes are not results
                self.objects[rel] = obj
                items = list(_flatten(obj, "", ()))
        except (ValueError, UnicodeDecodeError, yaml.YAMLError, csv.Error) as err:
            self.unreadable.append(f"{rel}: {str(err).splitlines()[0][:100]}")
            return
        base = set(words(" ".join(Path(rel).with_suffix("").parts)))
        kind = _file_kind(rel)
        for key, value, labels in items:
            own = set(words(key)) | {w for lab in labels for w in words(lab)}
            # a record of the model a run started from (its own recipe and scores) is provenance, like a setting
            provenance = "config" in key.lower() or key.split(".")[0].lower() == "checkpoint"
            self.entries.append(Entry(rel, key, value, frozenset(base | own), frozenset(own),
                                      "config" if provenance else kind))

    def _seed_statistics(self) -> None:
        """Mean and std of each key over the seeds (files, or rows and keys, named seedN), and the number of seeds."""
        groups: dict[tuple, list] = {}
        for e in self.entries:
            if (SEED.search(e.file) or SEED.search(e.key)) and e.leaf != "seed":
                groups.setdefault((SEED.sub("seed*", e.file), SEED.sub("seed*", e.key)), []).append(e)
        for (pattern, key), group in groups.items():
            if len(group) < 2:
                continue
            values = [e.value for e in group]
            names = frozenset(set.intersection(*(set(e.names) for e in group)) - {"seeds"})
            own = group[0].key_names
            if not any(e.file == pattern and e.key == "seeds" for e in self.entries):
                self.entries.append(Entry(pattern, "seeds", float(len(group)), frozenset(names | {"seeds"}),
                                          frozenset({"seeds"}), group[0].kind))
            self.entries.append(Entry(pattern, f"{key}.mean", statistics.fmean(values), names | {"mean"}, own | {"mean"},
                                      group[0].kind))
            self.entries.append(Entry(pattern, f"{key}.std", statistics.stdev(values), names | {"std"}, own | {"std"},
                                      group[0].kind, alt=statistics.pstdev(values)))

    def _settings_as_names(self) -> None:
        """A run's settings name its numbers: every entry of a folder that also holds `beta: 0.1`, `learning_rate:
        5e-6` or `temperature: 0.7` (a config beside the results) is also named `beta=0.1`, ... (names.words
        reads "β = 0.1" and a folder "beta0.1_lr5e-6" so). A folder with two values of one setting names nothing."""
        from dataclasses import replace
        by_folder: dict = {}
        for e in self.entries:
            name = SETTING_LEAVES.get(e.leaf)
            if name:
                by_folder.setdefault(str(Path(e.file).parent), {}).setdefault(name, set()).add(f"{name}={e.value:g}")
        tokens = {folder: {next(iter(v)) for v in found.values() if len(v) == 1} for folder, found in by_folder.items()}
        self.entries = [replace(e, names=e.names | tokens[folder]) if (folder := str(Path(e.file).parent)) in tokens
                        else e for e in self.entries]

    def named(self, names) -> list[Entry]:
        """Entries carrying any of the names."""
        ids = sorted({i for w in names for i in self.by_name.get(w, ())})
        return [self.entries[i] for i in ids]

    def sibling(self, entry: Entry, leaf: str) -> Entry | None:
        head = entry.key.rsplit(".", 1)[0] if "." in entry.key else ""
        return self.by_where.get(f"{entry.file}:{head + '.' if head else ''}{leaf}")
