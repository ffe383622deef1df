"""The SOKRATES loop on one run folder: data -> SFT -> evaluate -> (sample -> check -> pairs -> DPO ->
evaluate) x iterations. Each step is a method of `Run`, writes its files under `runs/<run-id>/`
(docs/metrics.md) and a manifest, and is skipped when already done with the same config and inputs.
The agent calls these same methods, one per graph node."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path

import yaml

from .choices import check_choice, choice
from .io import DataError, read_jsonl, write_json, write_jsonl
from .metrics import summarize
from .model import (CHECKPOINT_FILE, TinyModelConfig, check_model_dir, checkpoint_dir, init_tiny_model, model_template,
                    model_trace_style, verify_checkpoint)
from .problems import STYLES, GeneratorConfig, generate, read_problems, write_problems
from .sampling import BACKENDS, SampleSettings, make_sampler, sample_records
from .stages import run_step
from .training import DPOSettings, SFTSettings, run_dpo, run_sft


def stage_name(iteration: int | None) -> str:
    """The stage folder of an iteration: `sft` for 0 (or none), `dpo_iterK` after K DPO iterations."""
    return f"dpo_iter{iteration}" if iteration else "sft"


@dataclass
class DataSettings:
    n_train: int = 4000
    n_test: int = 300
    seed_train: int = 0
    seed_test: int = 1
    min_hops: int = 1
    max_hops: int = 4
    tollens_ratio: float = 0.15
    and_ratio: float = 0.15
    unknown_ratio: float = 0.0
    distractors: float = 1.0        # chance of each distractor premise (1: the benchmark task)
    train_distractors: float | None = None  # the training set's own chance (a curriculum); None: `distractors`
    wordings: list = field(default_factory=lambda: list(STYLES))  # rule wordings (problems.STYLES) drawn from

    def generator(self, train: bool) -> GeneratorConfig:
        """The generator's settings for the training set (with its own distractor chance) or the test set."""
        distractors = self.train_distractors if train and self.train_distractors is not None else self.distractors
        return GeneratorConfig(n=self.n_train if train else self.n_test, seed=self.seed_train if train else self.seed_test,
                               min_hops=self.min_hops, max_hops=self.max_hops, tollens_ratio=self.tollens_ratio,
                               and_ratio=self.and_ratio, unknown_ratio=self.unknown_ratio, distractors=distractors,
                               wordings=tuple(self.wordings))


def unseen(test: list, train: list) -> list:
    """The test problems that do not also occur (same premises and query) in the training set."""
    seen = {(tuple(p.premises), p.query) for p in train}
    return [p for p in test if (tuple(p.premises), p.query) not in seen]


@dataclass
class EvalSettings:
    n_problems: int | None = None   # None: the whole test set
    temperature: float = 0.0        # greedy: one deterministic trace per problem
    backend: str = choice("hf", BACKENDS)
    max_steps: int = 12


@dataclass
class LoopConfig:
    run_id: str = "run1"
    model: str | None = None          # a local model folder; None builds the embedded tiny model
    # a shipped SFT model (a name under checkpoints/ or a folder) that the sft step copies instead of training;
    # None trains SFT from scratch (docs/experiments.md says why the demo starts from one)
    sft_checkpoint: str | None = None
    iterations: int = 2
    dpo_problems: int = 1000          # training problems sampled per DPO iteration
    pairs_per_problem: int = 2
    gold_chosen_fallback: bool = False  # a problem with no valid sample pairs its gold proof against a failure
    # a problem with no valid sample pairs its latest-first-error sample against an earlier one (changes the method)
    later_first_error_pairs: bool = False
    # one-step pairs: the first invalid step against a valid step another sample took after the same steps (ending open)
    # (Step-DPO-like; changes the method)
    step_pairs: bool = False
    data: DataSettings = field(default_factory=DataSettings)
    tiny: TinyModelConfig = field(default_factory=TinyModelConfig)
    sft: SFTSettings = field(default_factory=SFTSettings)
    sample: SampleSettings = field(default_factory=SampleSettings)
    dpo: DPOSettings = field(default_factory=DPOSettings)
    eval: EvalSettings = field(default_factory=EvalSettings)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str = "config") -> "LoopConfig":
        """A config from nested settings; a wrong name, a non-number or a value outside a setting's choices is a
        DataError naming `where` and the setting."""
        return _build(cls, data, where)

    @classmethod
    def from_file(cls, path: str | Path) -> "LoopConfig":
        """A YAML config file (a run's config.yaml or a --config file); a bad one is a one-line error naming it."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise DataError(f"{path}: cannot read the config ({str(err).splitlines()[0]}). Fix: repair the file, or "
                            "pass a YAML LoopConfig (see runs/<id>/config.yaml).") from None
        if not isinstance(data, dict):
            raise DataError(f"{path}: a config is a YAML mapping of settings, not a {type(data).__name__}. Fix: write "
                            "`name: value` lines (see runs/<id>/config.yaml).")
        return cls.from_dict(data, f"{path}: config")


def _build(kind, data: dict, where: str):
    known = {f.name: f for f in fields(kind)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise DataError(f"{where}: unknown setting(s) {unknown}. Fix: use {sorted(known)}.")
    values = {}
    for name, value in data.items():
        default = known[name].default_factory() if callable(known[name].default_factory) else None
        if is_dataclass(default) and not isinstance(value, dict | None):
            raise DataError(f"{where}.{name}: a section of settings, not {value!r}. Fix: write its settings indented "
                            f"below it (`{name}:` then `  setting: value`), or leave it out for the defaults.")
        values[name] = (_build(type(default), value or {}, f"{where}.{name}") if is_dataclass(default)
                        else _number(value, str(known[name].type), f"{where}.{name}"))
        check_choice(known[name], values[name], f"{where}.{name}")
    return kind(**values)


def _number(value, annotation: str, where: str):
    """A numeric setting's value as a number. YAML reads `5e-5` (no dot) as a string, which training would only reject
    later with a traceback; a string that is not a number is a one-line error here."""
    numeric = "float" in annotation or annotation.split(" |")[0] == "int"
    if not numeric or not isinstance(value, str):
        return value
    try:
        number = float(value)
    except ValueError:
        raise DataError(f"{where}: {value!r} is not a number. Fix: write a number (e.g. 5.0e-5).") from None
    return number if "float" in annotation or not number.is_integer() else int(number)


def _copy_checkpoint(source: Path, out: Path) -> dict:
    """The sft step of a run that starts from a shipped checkpoint: its verified weights become the SFT model."""
    import shutil
    record = verify_checkpoint(source)
    shutil.rmtree(out / "model", ignore_errors=True)
    shutil.copytree(source, out / "model", ignore=shutil.ignore_patterns(CHECKPOINT_FILE, "*.yaml"))
    summary = {"stage": "sft", "from_checkpoint": str(source), "checkpoint": record, "model": str(out / "model"),
               "steps": record.get("steps"), "wall_s": 0.0}
    write_json(out / "summary.json", summary)
    return summary


class GateStop(Exception):
    """The loop stopped at a branch point (failed data or sample check) and was not told to proceed."""


def _log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


class Run:
    """One run folder and its config; every step is idempotent."""

    def __init__(self, workspace: str | Path, cfg: LoopConfig, log=_log):
        self.workspace = Path(workspace)
        self.cfg = cfg
        self.dir = self.workspace / "runs" / cfg.run_id
        self.log = log

    @classmethod
    def open(cls, workspace: str | Path, run_id: str, log=_log) -> "Run":
        path = Path(workspace) / "runs" / run_id / "config.yaml"
        if not path.is_file():
            raise DataError(f"{path}: no such run. Fix: start it with `sokrates loop --run-id {run_id}`.")
        return cls(workspace, LoopConfig.from_file(path), log)

    def update(self, settings: dict) -> None:
        """Set dotted settings ({"sample.temperature": 0.9}; None values are ignored) and save config.yaml."""
        settings = {k: v for k, v in settings.items() if v is not None}
        if not settings:
            return
        merged = self.cfg.to_dict()
        for key, value in settings.items():
            *path, name = key.split(".")
            target = merged
            for part in path:
                target = target.setdefault(part, {})
            target[name] = value
        self.cfg = LoopConfig.from_dict(merged)  # checked like a config file: unknown names and non-numbers are errors
        self.save_config()

    def save_config(self) -> Path:
        from .io import write_text
        path = self.dir / "config.yaml"
        write_text(path, yaml.safe_dump(self.cfg.to_dict(), sort_keys=False))
        return path

    def pairs_verdict(self, report: dict) -> tuple[bool, str]:
        """(enough, why): whether a pairs report can move the model at this run's DPO batch size and epochs."""
        from .pairs import pairs_verdict
        return pairs_verdict(report, self.cfg.dpo.batch_size, self.cfg.dpo.epochs)

    # -------------------------------------------------- paths
    def stage_dir(self, stage: str) -> Path:
        return self.dir / stage

    def model_of(self, iteration: int) -> Path:
        """The model after `iteration` DPO iterations (0: the SFT model)."""
        return self.stage_dir(stage_name(iteration)) / "model"

    def trained_model(self, iteration: int) -> Path:
        """model_of(iteration), refusing with the step to run when it has not been trained yet."""
        model = self.model_of(iteration)
        if not (model / "config.json").is_file():
            step = "sokrates sft" if iteration == 0 else f"sokrates dpo --iteration {iteration}"
            done = [k for k in range(0, 100) if (self.model_of(k) / "config.json").is_file()]
            raise DataError(f"{model}: no model for iteration {iteration} in run {self.cfg.run_id} (trained: "
                            f"{', '.join(map(str, done)) or 'none'}). Fix: run `{step} -w {self.workspace} --run-id "
                            f"{self.cfg.run_id}` first, or pick a trained iteration.")
        return model

    @property
    def train_file(self) -> Path:
        return self.dir / "data" / "train.jsonl"

    @property
    def test_file(self) -> Path:
        return self.dir / "data" / "test.jsonl"

    # -------------------------------------------------- steps
    def data(self) -> dict:
        """Generate train and test problems (test problems that also occur in train are dropped) and check them."""
        d = self.cfg.data
        out = self.dir / "data"

        def make() -> dict:
            train = generate(d.generator(train=True))
            test = unseen(generate(d.generator(train=False)), train)
            write_problems(self.train_file, train)
            write_problems(self.test_file, test)
            findings = sorted(self._check_data(), key=lambda f: f.line is not None)  # file-level summaries first
            report = {"train": len(train), "test": len(test), "errors": sum(f.severity == "error" for f in findings),
                      "warnings": sum(f.severity == "warning" for f in findings),
                      "findings": [f.format(self.train_file) for f in findings][:50]}
            write_json(out / "check.json", report)
            return report
        checked = {**asdict(d), "model": self.cfg.model, "sft_checkpoint": self.cfg.sft_checkpoint,  # what the check
                   "sft.max_length": self.cfg.sft.max_length, "sft.trace_style": self.cfg.sft.trace_style}  # also reads
        return run_step(out, "data", checked, [], [self.train_file, self.test_file, out / "check.json"], make, self.log)

    def _check_data(self) -> list:
        """The data check on what SFT will read: the training problems in the model's own prompt template, trace style
        and chat template, tokenized by its tokenizer, against sft.max_length (or the model's positions when unset)."""
        from .data_check import check_file
        from .model import load_tokenizer, model_positions
        self.base_model()
        model = self.base_model_dir
        positions = model_positions(model)
        return check_file(self.train_file, model_template(model) if self.cfg.model else "solve_compact",
                          load_tokenizer(model), self.cfg.sft.max_length or positions, self.cfg.sft.trace_style,
                          positions)

    @property
    def base_model_dir(self) -> Path:
        if self.cfg.sft_checkpoint:
            return checkpoint_dir(self.cfg.sft_checkpoint)
        return Path(self.cfg.model) if self.cfg.model else self.dir / "base_model"

    def base_model(self) -> dict:
        if self.cfg.sft_checkpoint:
            return {"model": str(self.base_model_dir), "kind": "checkpoint"}
        if self.cfg.model:
            check_model_dir(self.cfg.model)
            return {"model": self.cfg.model, "kind": "local"}
        out = self.base_model_dir

        def make() -> dict:
            init_tiny_model(out, self.cfg.tiny)
            return {"model": str(out), "kind": "embedded", **asdict(self.cfg.tiny)}
        return run_step(out, "init", asdict(self.cfg.tiny), [], [out / "config.json"], make, self.log)

    def sft(self, callbacks: tuple = ()) -> dict:
        """SFT of the base model; `callbacks` are extra TrainerCallbacks (benchmarks measure with them)."""
        out = self.stage_dir("sft")
        if self.cfg.sft_checkpoint:
            source = self.base_model_dir
            return run_step(out, "sft", {"checkpoint": str(source)}, [source], [out / "model", out / "summary.json"],
                            lambda: _copy_checkpoint(source, out), self.log)
        return run_step(out, "sft", asdict(self.cfg.sft), [self.base_model_dir, self.train_file],
                        [out / "model", out / "summary.json"],
                        lambda: run_sft(self.base_model_dir, read_problems(self.train_file), out, self.cfg.sft,
                                        callbacks), self.log,
                        every_rank=True)

    def evaluate(self, iteration: int) -> dict:
        """Greedy traces on the test set from the model after `iteration`: accuracy, step and trace validity."""
        model = self.trained_model(iteration)
        out = model.parent / "eval"
        e = self.cfg.eval

        def make() -> dict:
            problems = read_problems(self.test_file)[: e.n_problems]
            s = SampleSettings(backend=e.backend, samples_per_problem=1, temperature=e.temperature,
                               max_steps=e.max_steps, base_url=self.cfg.sample.base_url,
                               model_name=self.cfg.sample.model_name, requests_in_flight=self.cfg.sample.requests_in_flight)
            started = time.time()
            records = sample_records(problems, make_sampler(model, s), s, model_template(model))
            wall = time.time() - started
            write_jsonl(out / "samples.jsonl", records)
            summary = {"stage": model.parent.name, "iteration": iteration, "model": str(model),
                       "problems": str(self.test_file), "n_problems": len(problems), "temperature": e.temperature,
                       **summarize(records), "wall_s": round(wall, 1), "problems_per_s": round(len(problems) / wall, 3)}
            write_json(out / "summary.json", summary)
            return summary
        return run_step(out, "eval", asdict(e), [model, self.test_file], [out / "summary.json"], make, self.log,
                        every_rank=True)

    def sample(self, iteration: int) -> dict:
        """Sample traces on training problems from the model of the previous iteration, verified step by step."""
        model = self.trained_model(iteration - 1)
        out = self.stage_dir(f"dpo_iter{iteration}")
        s = self.cfg.sample
        config = {**asdict(s), "seed": s.seed + iteration, "dpo_problems": self.cfg.dpo_problems}

        def make() -> dict:
            problems = read_problems(self.train_file)
            start = ((iteration - 1) * self.cfg.dpo_problems) % max(1, len(problems))
            chosen = (problems[start:] + problems[:start])[: self.cfg.dpo_problems]  # fresh problems each iteration
            settings = SampleSettings(**{**asdict(s), "seed": s.seed + iteration})
            started = time.time()
            records = sample_records(chosen, make_sampler(model, settings), settings, model_template(model))
            write_jsonl(out / "samples.jsonl", records)
            return {"samples": len(records), "problems": len(chosen), "wall_s": round(time.time() - started, 1)}
        return run_step(out, "sample", config, [model, self.train_file], [out / "samples.jsonl"], make, self.log,
                        every_rank=True)

    def check(self, iteration: int) -> dict:
        from .sample_check import check_samples, write_check
        out = self.stage_dir(f"dpo_iter{iteration}")
        samples = out / "samples.jsonl"

        def make() -> dict:
            records = read_jsonl(samples)
            n_premises = {p.id: len(p.premises) for p in read_problems(self.train_file)}
            report = check_samples(records, self.cfg.sample.temperature, self.cfg.sample.samples_per_problem, n_premises)
            write_check(out, report, records)
            return report
        return run_step(out, "check", {}, [samples], [out / "check.json"], make, self.log)

    def pairs(self, iteration: int) -> dict:
        from .pairs import build_pairs, pair_lengths
        out = self.stage_dir(f"dpo_iter{iteration}")
        samples = out / "samples.jsonl"
        model = self.model_of(iteration - 1)

        def make() -> dict:
            template = model_template(model)
            problems = read_problems(self.train_file)
            prompts = {p.id: p.prompt(template) for p in problems}
            style = model_trace_style(model)
            gold = {p.id: p.target(style) for p in problems} if self.cfg.gold_chosen_fallback else None
            pairs, report = build_pairs(read_jsonl(samples), prompts, self.cfg.pairs_per_problem, gold,
                                        self.cfg.later_first_error_pairs, self.cfg.step_pairs)
            report["lengths"] = pair_lengths(pairs, model, self.cfg.dpo.max_length)
            write_jsonl(out / "pairs.jsonl", pairs)
            write_json(out / "pairs.json", report)
            return report
        return run_step(out, "pairs", {"pairs_per_problem": self.cfg.pairs_per_problem,
                                       "gold_chosen_fallback": self.cfg.gold_chosen_fallback,
                                       "later_first_error_pairs": self.cfg.later_first_error_pairs,
                                       "step_pairs": self.cfg.step_pairs,
                                       "dpo.max_length": self.cfg.dpo.max_length}, [samples],  # its length check
                        [out / "pairs.jsonl"], make, self.log)

    def dpo(self, iteration: int) -> dict:
        out = self.stage_dir(f"dpo_iter{iteration}")
        model = self.model_of(iteration - 1)

        def make() -> dict:
            from .io import read_json
            summary = run_dpo(model, read_jsonl(out / "pairs.jsonl"), out, self.cfg.dpo)
            summary.update({"stage": f"dpo_iter{iteration}", "iteration": iteration,
                            "pair_report": read_json(out / "pairs.json")})
            write_json(out / "summary.json", summary)
            return summary
        return run_step(out, "dpo", asdict(self.cfg.dpo), [model, out / "pairs.jsonl"],
                        [out / "model", out / "summary.json"], make, self.log, every_rank=True)

    # -------------------------------------------------- the whole loop
    def loop(self, proceed: bool = False) -> dict:
        """Every step in order. A failed data or sample check stops the loop unless `proceed`."""
        self.save_config()
        self.base_model()
        report = self.data()
        if report["errors"] and not proceed:
            raise GateStop(f"data check found {report['errors']} error(s), see {self.dir / 'data' / 'check.json'}; "
                           "fix the data or re-run with --proceed")
        self.sft()
        results = {"sft": self.evaluate(0)}
        for k in range(1, self.cfg.iterations + 1):
            self.sample(k)
            check = self.check(k)
            if check["verdict"] == "fail" and not proceed:
                raise GateStop(f"sample check failed before DPO iteration {k}: {'; '.join(check['reasons'])}. "
                               f"Inspect {self.stage_dir(f'dpo_iter{k}') / 'examples.md'}, or re-run with --proceed")
            self.pairs(k)
            self.dpo(k)
            results[f"dpo_iter{k}"] = self.evaluate(k)
        return results
