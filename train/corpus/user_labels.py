"""`sectframes import-labels`: a Label Studio JSON export of tasks made by `sectframes sample` -> labelled
sentences in `data/annotations/user/`, with provenance, validated task by task.

Every error names the export file and the task. A task must come from our sampling (its `sample_id` and
`sampler`), every choice must be a known frame, and one annotator may not label a task twice (the same
labels: duplicate; other labels: conflicting). With two annotators on the same tasks their agreement is
reported per frame (Cohen's kappa); tasks where they disagree are written apart for adjudication and kept
out of training until then."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from models.frames import FRAME_KEYS
from train import paths
from train.corpus.agreement import exact_agreement, pass_agreement
from train.corpus.gold import write_jsonl
from train.errors import DataError

USER_DIR = paths.ANNOTATIONS / "user"
SAMPLER_PREFIX = "sectframes-sample/"


def _choices(path: Path, task_id, annotation: dict) -> list[str]:
    labels: list[str] = []
    for item in annotation.get("result") or []:
        if item.get("type") != "choices":
            continue
        for choice in (item.get("value") or {}).get("choices") or []:
            if choice not in FRAME_KEYS:
                raise DataError(path, f"task {task_id}: unknown frame {choice!r} (frames: {list(FRAME_KEYS)})")
            labels.append(choice)
    return sorted(set(labels), key=FRAME_KEYS.index)


def _annotations(path: Path, task: dict) -> dict[str, list[str]]:
    """annotator -> labels for one task (cancelled annotations skipped)."""
    task_id = task.get("id", "?")
    out: dict[str, list[str]] = {}
    for annotation in task.get("annotations") or []:
        if annotation.get("was_cancelled"):
            continue
        who = str(annotation.get("completed_by", "unknown"))
        labels = _choices(path, task_id, annotation)
        if who in out:
            kind = "duplicate" if out[who] == labels else "conflicting"
            raise DataError(path, f"task {task_id}: {kind} labels from annotator {who}")
        out[who] = labels
    return out


def read_export(path: Path) -> list[dict]:
    """Validated records, one per labelled task, in export order."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(path, f"not a Label Studio JSON export ({exc})") from None
    if not isinstance(tasks, list):
        raise DataError(path, "a Label Studio JSON export is a list of tasks")
    records, seen = [], {}
    for task in tasks:
        data, task_id = task.get("data") or {}, task.get("id", "?")
        if not str(data.get("sampler", "")).startswith(SAMPLER_PREFIX) or not data.get("sample_id"):
            raise DataError(path, f"task {task_id}: not made by `sectframes sample` (no sample_id/sampler)")
        if data["sample_id"] in seen:
            raise DataError(path, f"task {task_id}: the same sentence as task {seen[data['sample_id']]}")
        seen[data["sample_id"]] = task_id
        by_annotator = _annotations(path, task)
        if by_annotator:
            model = data.get("model") or next((p.get("model_version") for p in task.get("predictions") or []
                                               if isinstance(p, dict)), None)  # the export lists prediction ids
            records.append({"id": data["sample_id"], "article_id": data.get("article_id"), "text": data["sentence"],
                            "annotations": by_annotator, "drawn": data.get("drawn"), "model": model,
                            "task": task_id})
    return records


def agreement(records: list[dict]) -> dict | None:
    """Per-frame kappa and exact agreement of the first two annotators, on the tasks both labelled."""
    annotators = sorted({a for r in records for a in r["annotations"]})
    if len(annotators) < 2:
        return None
    a, b = annotators[:2]
    both = [r for r in records if a in r["annotations"] and b in r["annotations"]]
    if not both:
        return None
    first, second = [r["annotations"][a] for r in both], [r["annotations"][b] for r in both]
    return {"annotators": [a, b], "tasks": len(both), "per_frame": pass_agreement(first, second),
            "exact_agreement": exact_agreement(first, second)}


def import_labels(path: Path, out_dir: Path = USER_DIR) -> tuple[Path, dict]:
    """Write the agreed labels (and the disagreements, apart) with provenance; returns the file and a
    summary (counts, agreement)."""
    records = read_export(path)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    agreed, disputed = [], []
    for r in records:
        sets = {tuple(v) for v in r["annotations"].values()}
        provenance = {"export": path.name, "imported_at": now, "annotators": sorted(r["annotations"]),
                      "pre_annotated_by": r["model"], "drawn": r["drawn"], "task": r["task"]}
        record = {"id": r["id"], "article_id": r["article_id"], "text": r["text"], "source": "user",
                  "annotations": r["annotations"], "provenance": provenance}
        if len(sets) == 1:
            agreed.append({**record, "labels": list(next(iter(sets)))})
        else:
            disputed.append(record)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.jsonl"
    write_jsonl(target, agreed)
    if disputed:
        write_jsonl(out_dir / f"{path.stem}.needs_adjudication.jsonl", disputed)
    return target, {"tasks": len(records), "agreed": len(agreed), "disputed": len(disputed),
                    "agreement": agreement(records)}


def user_test(record: dict, share: float) -> bool:
    """Whether a user-labelled sentence is in the user's own test set: whole articles, by a hash of the
    article id (stable as labels are added), `share` of them."""
    import hashlib

    if share <= 0:
        return False
    key = str(record.get("article_id") or record["id"]).encode("utf-8")
    return int(hashlib.sha256(key).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def load_user_labels(folder: Path = USER_DIR) -> list[dict]:
    """Every agreed user label (files written by `import_labels`), validated."""
    from train.corpus.records import validate_annotations

    records = []
    for path in sorted(folder.glob("*.jsonl")) if folder.exists() else []:
        if path.name.endswith(".needs_adjudication.jsonl"):
            continue
        records += validate_annotations(path, ("id", "text", "labels", "source"))
    return records
