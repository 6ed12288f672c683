"""Agreement between two annotation passes, per frame: Cohen's kappa and F1 (one pass as reference)."""

from __future__ import annotations

from models.frames import FRAME_KEYS


def pass_agreement(pass_a: list[list[str]], pass_b: list[list[str]]) -> dict[str, dict[str, float]]:
    from sklearn.metrics import cohen_kappa_score, f1_score

    table = {}
    for key in FRAME_KEYS:
        a = [int(key in row) for row in pass_a]
        b = [int(key in row) for row in pass_b]
        same = sum(x == y for x, y in zip(a, b))
        kappa = 1.0 if len(set(a) | set(b)) == 1 else float(cohen_kappa_score(a, b))
        table[key] = {
            "kappa": kappa,
            "f1": float(f1_score(a, b, zero_division=1.0)),
            "raw_agreement": same / len(a) if a else 0.0,
            "pass_a": sum(a),
            "pass_b": sum(b),
        }
    return table


def exact_agreement(pass_a: list[list[str]], pass_b: list[list[str]]) -> float:
    return sum(set(a) == set(b) for a, b in zip(pass_a, pass_b)) / max(len(pass_a), 1)
