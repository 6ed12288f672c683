"""What a scoring run records so that `--resume` continues exactly that run: its inputs (refused if they
changed) and its model (a registry alias pinned to the version the run started with)."""

from __future__ import annotations

import logging
from train.errors import ModelLoadError
from train.scoring.ingest import Problem, discover
from train.scoring.options import ScoreOptions
from train.scoring.outputs import PartWriter

log = logging.getLogger(__name__)


def input_fingerprint(options: ScoreOptions) -> dict:
    """What decides the input stream: every file (path, size, modification time) in discovery order, and
    the options that change how it is read."""
    files = []
    for item in discover(options.inputs, options.follow_symlinks):
        if isinstance(item, Problem):
            files.append({"problem": item.id})
        else:
            stat = item.stat()
            files.append({"path": str(item.resolve()), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return {"files": files, "unit": options.unit, "max_chars": options.max_chars,
            "follow_symlinks": options.follow_symlinks, "keep_columns": options.keep_columns,
            "thresholds": options.thresholds}


def check_same_inputs(options: ScoreOptions, parts: PartWriter) -> None:
    """A new run records its inputs; `--resume` refuses inputs that differ from the run it continues."""
    now = input_fingerprint(options)
    recorded = parts.read_record().get("inputs") if options.resume and parts.entries else None
    if recorded is None:
        parts.write_record({"inputs": now})
        return
    if recorded != now:
        raise ValueError(f"--resume: the inputs differ from those of the run in {options.work_folder} "
                         f"({_first_difference(recorded, now)}); continue with the same inputs, or pass "
                         "--overwrite to start again")


def _first_difference(before: dict, now: dict) -> str:
    for key in ("unit", "max_chars", "follow_symlinks", "keep_columns", "thresholds"):
        if before.get(key) != now.get(key):
            return f"{key} was {before.get(key)!r}, now {now.get(key)!r}"
    old, new = before.get("files", []), now.get("files", [])
    for a, b in zip(old, new):
        if a != b:
            return f"was {a}, now {b}"
    return f"{len(old)} input files then, {len(new)} now"


def model_for_run(options: ScoreOptions, parts: PartWriter) -> str:
    """The exact model this run scores with: a registry alias is pinned to its version when the run starts
    and recorded in the work folder, so a `--resume` continues with that version even if the alias has
    moved since (a resumed output never mixes two models)."""
    from train import tracking

    tracking.configure()
    recorded = parts.read_record().get("model") if options.resume else None
    if recorded:
        if recorded["requested"] != options.model_uri:
            raise ValueError(f"{options.work_folder} was started with --model {recorded['requested']}: resume with "
                             "that model, or pass --overwrite to start again with this one")
        now = pinned_model(options.model_uri, quiet=True)
        if now not in (None, recorded["pinned"]):
            log.warning("%s now points to %s; this run continues with %s, the model it started with (pass "
                        "--overwrite to rescore everything with the new one)", options.model_uri, now,
                        recorded["pinned"])
        return recorded["pinned"]
    pinned = pinned_model(options.model_uri)
    parts.write_record({"model": {"requested": options.model_uri, "pinned": pinned}})
    if pinned != options.model_uri:
        log.info("model %s is %s", options.model_uri, pinned)
    return pinned


def pinned_model(model_uri: str, quiet: bool = False) -> str | None:
    """`tracking.pinned_model_uri` with a clear error (or None if `quiet`) for an unknown model or alias."""
    from train import tracking

    try:
        return tracking.pinned_model_uri(model_uri)
    except Exception as exc:  # unknown model or alias, unreachable store
        if quiet:
            return None
        raise ModelLoadError(f"cannot find the model {model_uri}: {type(exc).__name__}: {exc}") from exc
