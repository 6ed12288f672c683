"""The model registry: registering a run's model, the champion alias and when it moves, versions."""

from __future__ import annotations

from dataclasses import dataclass

from train.tracking.store import ALIAS_TAG, CHAMPION, DECISION_TAG, DIGEST_TAG, PRIMARY_METRIC, REGISTERED_MODEL


@dataclass
class Decision:
    version: str
    promoted: bool
    reason: str


def register_and_decide(run_id: str, model_uri: str, score: float, digest: str,
                        metric: str = PRIMARY_METRIC, alias: str = CHAMPION) -> Decision:
    """Register the run's model; move `alias` (the champion, or `fast` for distilled twins) to it only if it
    beats the alias's holder on the same data and `metric` (or, when they changed, if it is the best
    registered model competing for that alias on the new data)."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    registered = mlflow.register_model(model_uri, REGISTERED_MODEL, tags={metric: repr(float(score)),
                                                                        DIGEST_TAG: digest, "run_id": run_id,
                                                                        "selection_metric": metric,
                                                                        ALIAS_TAG: alias})
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL, alias)
    except MlflowException:
        champion = None
    promote, reason = _decide(client, champion, registered.version, score, digest, metric, alias)
    if promote:
        client.set_registered_model_alias(REGISTERED_MODEL, alias, registered.version)
    decision = Decision(registered.version, promote, reason)
    client.set_tag(run_id, DECISION_TAG, f"{'promoted' if promote else 'not promoted'}: {reason}")
    client.set_model_version_tag(REGISTERED_MODEL, registered.version, "champion_decision", reason)
    return decision


def _decide(client, champion, new_version: str, score: float, digest: str,
            metric: str = PRIMARY_METRIC, alias: str = CHAMPION) -> tuple[bool, str]:
    if champion is None:
        return True, f"v{new_version} is the first {alias} ({metric} {score:.4f})"
    champ_score = float(champion.tags.get(metric, "nan"))
    if champion.tags.get(DIGEST_TAG) == digest:
        if score > champ_score:
            return True, f"v{new_version} {score:.4f} beats {alias} v{champion.version} {champ_score:.4f}"
        return False, f"v{new_version} {score:.4f} does not beat {alias} v{champion.version} {champ_score:.4f}"
    rivals = [float(v.tags.get(metric, "nan"))
              for v in client.search_model_versions(f"name='{REGISTERED_MODEL}'")
              if v.tags.get(DIGEST_TAG) == digest and v.version != new_version
              and v.tags.get(ALIAS_TAG, CHAMPION) == alias]
    best = max([r for r in rivals if r == r], default=float("-inf"))
    if score >= best:
        return True, (f"data changed ({alias} v{champion.version} was scored on other data); "
                      f"v{new_version} {score:.4f} is the best on the new data")
    return False, (f"data changed, but v{new_version} {score:.4f} is below the best {alias} candidate on the new "
                   f"data ({best:.4f})")


def champion_info() -> tuple[str, str] | None:
    """(version, run id) of the champion, or None."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    try:
        version_ = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
    except MlflowException:
        return None
    return version_.version, version_.run_id


def registry_versions() -> dict[str, str]:
    """run id -> the registry version(s) of `sectarian-frames` logged from that run ("3" or "3, 5")."""
    from mlflow.tracking import MlflowClient

    found: dict[str, list[int]] = {}
    for v in MlflowClient().search_model_versions(f"name = '{REGISTERED_MODEL}'"):
        found.setdefault(v.run_id, []).append(int(v.version))
    return {run: ", ".join(map(str, sorted(versions))) for run, versions in found.items()}


def pinned_model_uri(model_uri: str) -> str:
    """`models:/name@alias` and `models:/name/latest` as the version they point at now
    (`models:/name/7`), so that a long or resumed scoring job uses one model throughout even if the alias
    moves meanwhile; every other URI (a version, runs:/, a path) is returned as given."""
    from mlflow.tracking import MlflowClient

    if not model_uri.startswith("models:/"):
        return model_uri
    reference = model_uri[len("models:/"):].rstrip("/")
    if "@" in reference:
        name, alias = reference.split("@", 1)
        return f"models:/{name}/{MlflowClient().get_model_version_by_alias(name, alias).version}"
    name, _, version_ = reference.rpartition("/")
    if name and version_.lower() == "latest":
        versions = MlflowClient().search_model_versions(f"name = '{name}'")
        if versions:
            return f"models:/{name}/{max(int(v.version) for v in versions)}"
    return model_uri
