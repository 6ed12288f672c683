"""PNG figures for runs and reports (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.frames import FRAME_KEYS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def per_frame_f1(per_frame: dict, path: Path, title: str) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    keys = list(FRAME_KEYS)
    x = np.arange(len(keys))
    for offset, metric in zip((-0.25, 0, 0.25), ("precision", "recall", "f1")):
        ax.bar(x + offset, [per_frame[k][metric] for k in keys], width=0.25, label=metric)
    ax.set_xticks(x, [k.replace("_", "\n") for k in keys])
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)


def pr_curves(Y: np.ndarray, P: np.ndarray, path: Path, title: str) -> Path:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for j, key in enumerate(FRAME_KEYS):
        if Y[:, j].any():
            precision, recall, _ = precision_recall_curve(Y[:, j], P[:, j])
            ax.step(recall, precision, where="post",
                    label=f"{key} (AP {average_precision_score(Y[:, j], P[:, j]):.2f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower left")
    return _save(fig, path)


def cooccurrence(Y: np.ndarray, D: np.ndarray, path: Path, title: str) -> Path:
    """Rows: gold frame; columns: predicted frame. Off-diagonal cells show frames confused or co-predicted."""
    plt = _pyplot()
    matrix = Y.T.astype(int) @ D.astype(int)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    labels = [k.split("_")[0] for k in FRAME_KEYS]
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=9)
    ax.set_title(title)
    return _save(fig, path)


def reliability(curves: dict[str, list[dict]], path: Path, title: str) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    for key, rows in curves.items():
        ax.plot([r["mean_p"] for r in rows], [r["observed"] for r in rows], marker="o", label=key)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return _save(fig, path)


def frame_shares(shares: dict[str, float], path: Path, title: str) -> Path:
    """Share of prose sentences carrying each frame across a scored corpus."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    keys = list(FRAME_KEYS)
    ax.barh([k.replace("_", " ") for k in keys], [shares[k] for k in keys], color="#4477aa")
    ax.set_xlim(0, max(0.05, max(shares.values(), default=0) * 1.2))
    ax.set_xlabel("share of prose sentences")
    ax.set_title(f"Frame shares: {title}")
    return _save(fig, path)


def group_shares(table, path: Path, title: str, x_label: str = "group", line: bool = False) -> Path:
    """Share per frame for each group (bars) or month (lines), with 95% intervals as error bars."""
    plt = _pyplot()
    groups = [str(g) for g in table["group"]]
    fig, axes = plt.subplots(len(FRAME_KEYS), 1, figsize=(max(6, 0.5 * len(groups) + 3), 2.2 * len(FRAME_KEYS)),
                             sharex=True)
    x = np.arange(len(groups))
    for ax, key in zip(np.atleast_1d(axes), FRAME_KEYS):
        share = table[f"share_{key}"].to_numpy(dtype=float)
        err = np.vstack([share - table[f"share_{key}_ci_low"], table[f"share_{key}_ci_high"] - share])
        if line:
            ax.errorbar(x, share, yerr=err, marker="o", capsize=3, color="#4477aa")
        else:
            ax.bar(x, share, yerr=err, capsize=3, color="#4477aa")
        ax.set_ylabel(key.replace("_", "\n"), fontsize=8)
        ax.set_ylim(0, min(1, max(0.05, float(np.nanmax(table[f"share_{key}_ci_high"]) * 1.15))))
    ax.set_xticks(x, groups, rotation=45 if len(groups) > 6 else 0, ha="right" if len(groups) > 6 else "center")
    ax.set_xlabel(x_label)
    fig.suptitle(title)
    return _save(fig, path)
