"""Experiment configs: parsed and validated here and nowhere else.

A YAML file is either one experiment (`name`, `family`, `seed`, `params`, `data`, `evaluation`) or a
suite (`experiment`, `runs`: paths of experiment files, relative to the suite file). Unknown keys and
badly typed values are errors naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from train.errors import ConfigError

DEFAULT_EXPERIMENT = "sectarian-frames"


@dataclass(frozen=True)
class DataOptions:
    authored: bool = True  # add our authored sentences to every training fold (never to a test fold)
    corpus: bool = True  # add the authored article corpus's train split too (its dev/test are held out)
    user: bool = True  # add the user's own labels (data/annotations/user/, from `sectframes import-labels`)
    user_test_share: float = 0.0  # keep this share of the user's labelled articles out, as their own test set
    neutral_sect_repeats: int = 0  # extra copies of the training sentences that name a sect neutrally (hard
    #                                negatives for sectarian_polarization), so the heads learn that a name is not a frame


@dataclass(frozen=True)
class EvaluationOptions:
    bootstrap: int = 1000
    default_threshold: float = 0.5
    decide_on: str = "dev"  # dev: thresholds (and the champion) chosen on the article corpus's dev split;
    #                         inner-cv: thresholds from inner cross-validation on the seed articles
    calibrate: bool = True  # Platt-calibrate each frame on dev (with decide_on: dev)
    relevance_gate: bool = True  # learn "about conflict at all?" from the off-topic articles (with decide_on: dev)


@dataclass(frozen=True)
class DistillOptions:
    teacher: str = "mpnet"  # the encoder whose embeddings the student reproduces (minilm | mpnet)
    teacher_runtime: str = "onnx-fp32"  # how the teacher runs (as the champion runs it)
    epochs: int = 4
    learning_rate: float = 5e-5
    batch_size: int = 32
    max_length: int = 128
    max_texts: int = 0  # 0: every distillation text; else a seeded sample of this many (for quick checks)


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    family: str
    params: typing.Any
    seed: int = 13
    data: DataOptions = field(default_factory=DataOptions)
    evaluation: EvaluationOptions = field(default_factory=EvaluationOptions)
    distill: DistillOptions | None = None  # train a student encoder first (family embedding, encoder: student)
    alias: str = "champion"  # the registry alias this run competes for: champion, or fast (the distilled twin)
    source: str = ""

    def flat(self) -> dict[str, object]:
        """Flattened for MLflow params: `model.family`, `model.<param>`, `data.<option>`, ..."""
        out: dict[str, object] = {"name": self.name, "model.family": self.family, "seed": self.seed}
        out.update({f"model.{k}": v for k, v in dataclasses.asdict(self.params).items()})
        out.update({f"data.{k}": v for k, v in dataclasses.asdict(self.data).items()})
        out.update({f"evaluation.{k}": v for k, v in dataclasses.asdict(self.evaluation).items()})
        if self.distill is not None:
            out.update({f"distill.{k}": v for k, v in dataclasses.asdict(self.distill).items()})
        out["alias"] = self.alias
        return out


@dataclass(frozen=True)
class SuiteConfig:
    experiment: str
    runs: list[ExperimentConfig]
    source: str


def _read_yaml(path: Path) -> dict:
    import yaml

    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return loaded


def _check_value(value, expected, where: str):
    """Accept `value` if it fits the annotation `expected` (int, float, bool, str, or X | None)."""
    if typing.get_origin(expected) in (typing.Union, types.UnionType):
        options = typing.get_args(expected)
        if value is None and type(None) in options:
            return None
        return _check_value(value, next(o for o in options if o is not type(None)), where)
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(expected, True)
    if not ok:
        raise ConfigError(f"{where}: expected {getattr(expected, '__name__', expected)}, got {value!r}")
    return float(value) if expected is float else value


def build_dataclass(cls, values: dict | None, where: str):
    """Instantiate `cls` from a mapping, rejecting unknown keys and wrong types."""
    values = values or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a mapping, got {values!r}")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(known)})")
    return cls(**{k: _check_value(v, hints[k], f"{where}.{k}") for k, v in values.items()})


def parse_experiment(path: Path, values: dict) -> ExperimentConfig:
    from models.families import family_class, family_names

    where = str(path)
    allowed = {"name", "family", "seed", "params", "data", "evaluation", "distill", "alias"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(sorted(allowed))})")
    for key in ("name", "family"):
        if not isinstance(values.get(key), str) or not values[key]:
            raise ConfigError(f"{where}: key '{key}' is required and must be a non-empty string")
    if values["family"] not in family_names():
        raise ConfigError(f"{where}: key 'family': unknown family '{values['family']}' "
                          f"(known: {', '.join(family_names())})")
    params = build_dataclass(family_class(values["family"]).Params, values.get("params"), f"{where}: params")
    config = ExperimentConfig(
        name=values["name"], family=values["family"], params=params,
        seed=_check_value(values.get("seed", 13), int, f"{where}: seed"),
        data=build_dataclass(DataOptions, values.get("data"), f"{where}: data"),
        evaluation=build_dataclass(EvaluationOptions, values.get("evaluation"), f"{where}: evaluation"),
        distill=build_dataclass(DistillOptions, values["distill"], f"{where}: distill") if "distill" in values else None,
        alias=_check_value(values.get("alias", "champion"), str, f"{where}: alias"),
        source=where,
    )
    _check_distillation(config, where)
    _check_embedding_head(config, where)
    if config.evaluation.bootstrap < 10:
        raise ConfigError(f"{where}: evaluation.bootstrap: need at least 10 resamples")
    if config.data.neutral_sect_repeats < 0:
        raise ConfigError(f"{where}: data.neutral_sect_repeats: must be at least 0")
    if not 0 <= config.data.user_test_share < 1:
        raise ConfigError(f"{where}: data.user_test_share: must be at least 0 and under 1, "
                          f"got {config.data.user_test_share!r}")
    if config.evaluation.decide_on not in ("dev", "inner-cv"):
        raise ConfigError(f"{where}: evaluation.decide_on: must be 'dev' or 'inner-cv', "
                          f"got {config.evaluation.decide_on!r}")
    return config


ALIASES = ("champion", "fast")


def _check_embedding_head(config: ExperimentConfig, where: str) -> None:
    params = config.params
    if not hasattr(params, "head"):
        return
    if params.head not in ("linear", "mlp"):
        raise ConfigError(f"{where}: params.head: must be 'linear' or 'mlp', got {params.head!r}")
    if params.hidden < 1 or params.members < 1 or params.alpha < 0:
        raise ConfigError(f"{where}: params: hidden and members must be at least 1, alpha at least 0")
    if not 0 <= params.tfidf_blend < 1:
        raise ConfigError(f"{where}: params.tfidf_blend: must be at least 0 and under 1, got {params.tfidf_blend!r}")


def _check_distillation(config: ExperimentConfig, where: str) -> None:
    """A student needs the embedding family with `encoder: student`, and that encoder needs a `distill:`
    section; the teacher must be an encoder we ship, and `alias` one the registry knows."""
    if config.alias not in ALIASES:
        raise ConfigError(f"{where}: alias: must be one of {', '.join(ALIASES)}, got {config.alias!r}")
    student = getattr(config.params, "encoder", None) == "student"
    if student != (config.distill is not None):
        raise ConfigError(f"{where}: a `distill:` section goes with family 'embedding' and params.encoder "
                          "'student', and the student encoder needs a `distill:` section")
    if config.distill is None:
        return
    if config.distill.teacher not in ("minilm", "mpnet"):
        raise ConfigError(f"{where}: distill.teacher: must be 'minilm' or 'mpnet', got {config.distill.teacher!r}")
    from models.onnx_encoder import RUNTIMES

    if config.distill.teacher_runtime not in RUNTIMES:
        raise ConfigError(f"{where}: distill.teacher_runtime: must be one of {', '.join(RUNTIMES)}")
    for key in ("epochs", "batch_size", "max_length"):
        if getattr(config.distill, key) < 1:
            raise ConfigError(f"{where}: distill.{key}: must be at least 1")
    if config.distill.max_texts < 0 or config.distill.learning_rate <= 0:
        raise ConfigError(f"{where}: distill: max_texts must be at least 0 and learning_rate above 0")


def load_config(path: Path | str) -> SuiteConfig:
    """A suite (several runs) or a single experiment, always returned as a suite."""
    path = Path(path)
    values = _read_yaml(path)
    if "runs" not in values:
        return SuiteConfig(DEFAULT_EXPERIMENT, [parse_experiment(path, values)], str(path))
    unknown = sorted(set(values) - {"experiment", "runs"})
    if unknown:
        raise ConfigError(f"{path}: unknown key '{unknown[0]}' (a suite has keys: experiment, runs)")
    runs = values["runs"]
    if not isinstance(runs, list) or not runs or not all(isinstance(r, str) for r in runs):
        raise ConfigError(f"{path}: key 'runs' must be a non-empty list of config file paths")
    experiment = _check_value(values.get("experiment", DEFAULT_EXPERIMENT), str, f"{path}: experiment")
    parsed = [parse_experiment(path.parent / run, _read_yaml(path.parent / run)) for run in runs]
    names = [run.name for run in parsed]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: run names must be unique, got {names}")
    return SuiteConfig(experiment, parsed, str(path))
