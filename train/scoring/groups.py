"""`--group-by`: frame shares per group of articles, with 95% intervals, as a table, a report section and
plots (bars per group; a monthly time series when the articles carry a date).

A share is frame-carrying prose sentences over prose sentences in the group. Sentences of one article
are not independent (one writer, one story), so the interval resamples whole articles (1,000 bootstrap
draws, fixed seed), not sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS

FOLDER = "folder"  # group file inputs by their sub-folder
OFF_TOPIC_SHARE = 0.5  # an article is off-topic when under half of its sentences pass the relevance gate
BOOTSTRAP = 1000
NO_GROUP = "(none)"


def group_labels(articles: pd.DataFrame, by: str) -> pd.Series:
    if by == FOLDER:
        folder = articles["id"].astype(str).str.rpartition("/")[0]
        return folder.where(folder != "", "(top)")
    return articles[by].astype("string").fillna(NO_GROUP)


def share_with_interval(counts: np.ndarray, totals: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """Pooled share and its 95% bootstrap interval over articles (rows)."""
    keep = totals > 0  # an article with no prose sentence has no share to resample
    counts, totals = counts[keep], totals[keep]
    total = totals.sum()
    if total == 0:
        return float("nan"), float("nan"), float("nan")
    draws = rng.integers(0, len(totals), size=(BOOTSTRAP, len(totals)))
    sampled = counts[draws].sum(axis=1) / np.maximum(totals[draws].sum(axis=1), 1)
    low, high = np.quantile(sampled, [0.025, 0.975])
    return float(counts.sum() / total), float(low), float(high)


def group_table(articles: pd.DataFrame, labels: pd.Series, seed: int = 0) -> pd.DataFrame:
    """One row per group: articles, prose sentences, and per frame the share with its 95% interval."""
    rng = np.random.default_rng(seed)
    prose = articles["prose_sentences"].to_numpy(dtype=float)
    rows = []
    for group in sorted(labels.unique(), key=str):
        mask = (labels == group).to_numpy()
        row = {"group": group, "articles": int(mask.sum()), "prose_sentences": int(prose[mask].sum())}
        for key in FRAME_KEYS:
            counts = (articles[f"share_{key}"].to_numpy(dtype=float) * prose)[mask]
            row[f"share_{key}"], row[f"share_{key}_ci_low"], row[f"share_{key}_ci_high"] = \
                share_with_interval(np.round(counts), prose[mask], rng)
        rows.append(row)
    return pd.DataFrame(rows)


def monthly(articles: pd.DataFrame, date_column: str) -> pd.DataFrame | None:
    """The group table by calendar month of `date_column`, or None when too few dates parse."""
    dates = pd.to_datetime(articles[date_column], errors="coerce", utc=True)
    if dates.notna().mean() < 0.5 or dates.dt.strftime("%Y-%m").nunique() < 2:
        return None
    known = dates.notna().to_numpy()
    months = dates[known].dt.strftime("%Y-%m").reset_index(drop=True)
    return group_table(articles[known].reset_index(drop=True), months)


def report_lines(table: pd.DataFrame, by: str) -> list[str]:
    header = "| group | articles | prose sentences | " + " | ".join(FRAME_KEYS) + " |"
    lines = [f"## Frame shares by {by} (95% interval, bootstrap over articles)", "", header,
             "|" + "---|" * (3 + len(FRAME_KEYS))]
    for _, row in table.iterrows():
        cells = [f"{row[f'share_{k}']:.3f} [{row[f'share_{k}_ci_low']:.3f}, {row[f'share_{k}_ci_high']:.3f}]"
                 for k in FRAME_KEYS]
        lines.append(f"| {row['group']} | {row['articles']} | {row['prose_sentences']} | " + " | ".join(cells) + " |")
    return lines + [""]


def off_topic(articles: pd.DataFrame) -> pd.Series:
    """Articles with under `OFF_TOPIC_SHARE` of their prose sentences over the model's relevance cut."""
    if "relevant_share" not in articles:
        return pd.Series(False, index=articles.index)
    return articles["relevant_share"].astype(float) < OFF_TOPIC_SHARE  # NaN (no gate) -> False


def group_sections(articles: pd.DataFrame, by: str | None, date_column: str | None, table_path, plot_prefix,
                   include_off_topic: bool = False) -> list[str]:
    """Write the groups table and plots beside the output; return the report's sections for them.
    `plot_prefix(name)` gives the path of a companion PNG. Off-topic articles are listed, and left out of
    the shares unless `include_off_topic`."""
    from train.plots import group_shares
    from train.scoring.outputs import write_table

    lines: list[str] = []
    away = off_topic(articles)
    if away.any():
        ids = articles.loc[away, "id"].astype(str).tolist()
        lines += [f"## Off-topic articles ({len(ids)})", "",
                  f"Under {OFF_TOPIC_SHARE:.0%} of their sentences are about conflict (relevance gate): "
                  + ("kept in the shares below (--include-off-topic)." if include_off_topic
                     else "left out of the group shares below (--include-off-topic keeps them)."),
                  "", ", ".join(f"`{i}`" for i in ids[:100]) + (" ..." if len(ids) > 100 else ""), ""]
        if not include_off_topic:
            articles = articles[~away].reset_index(drop=True)
    if by and len(articles):
        table = group_table(articles, group_labels(articles, by))
        write_table(table, table_path)
        plot = group_shares(table, plot_prefix("groups"), f"Frame shares by {by}", by)
        lines += report_lines(table, by) + [f"Table: `{table_path.name}`.", "", f"![shares by {by}]({plot.name})", ""]
    timeline = monthly(articles, date_column) if date_column and len(articles) else None
    if timeline is not None:
        plot = group_shares(timeline, plot_prefix("timeline"), f"Frame shares by month of {date_column}", "month",
                            line=True)
        lines += report_lines(timeline, f"month ({date_column})") + [f"![shares by month]({plot.name})", ""]
    return lines
