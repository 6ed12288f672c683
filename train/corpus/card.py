"""The corpus card: what data the models learn from and how reliable its labels are."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from models.frames import FRAME_KEYS
from models.segment import SCORED_KINDS, split_sentences
from train import paths
from train.corpus.agreement import exact_agreement, pass_agreement
from train.corpus.records import load_articles, load_authored, load_corpus, load_gold, read_jsonl


def corpus_card(articles_dir: Path = paths.ARTICLES, gold_path: Path = paths.GOLD,
                authored_path: Path = paths.AUTHORED) -> dict:
    articles = load_articles(articles_dir)
    kinds = Counter(s.kind for a in articles.values() for s in split_sentences(a.text))
    gold = load_gold(gold_path, articles_dir)
    card = {
        "articles": len(articles),
        "metadata": [row for _, row in read_jsonl(articles_dir / "metadata.jsonl")]
        if (articles_dir / "metadata.jsonl").exists() else [],
        "sentences": dict(kinds),
        "gold": _label_summary(gold),
    }
    if authored_path.exists():
        card["authored"] = _label_summary(load_authored(authored_path))
    if paths.CORPUS_META.exists():
        card["article_corpus"] = article_corpus_card()
    return card


def article_corpus_card(root: Path = paths.CORPUS) -> dict:
    """The authored article corpus: articles and sentences per split, topic, setting and register; and,
    for what is labelled, frames per split and agreement between the passes."""
    metas = [row for _, row in read_jsonl(root / "articles.jsonl")]
    split_of = {m["article_id"]: m["split"] for m in metas}
    prose = Counter(split_of[row["article_id"]] for _, row in read_jsonl(root / "sentences.jsonl")
                    if row["kind"] in SCORED_KINDS)
    labelled = load_corpus(root / "labelled.jsonl", root / "articles")
    card = {
        "articles": len(metas),
        "by_split": {split: {"articles": sum(m["split"] == split for m in metas), "prose_sentences": prose[split]}
                     for split in ("train", "dev", "test")},
        "by_topic": dict(Counter(m["topic"] for m in metas)),
        "by_setting": dict(Counter(m["setting"] for m in metas if m["topic"] == "conflict").most_common()),
        "by_register": dict(Counter(m["register"] for m in metas).most_common()),
        "by_off_topic_kind": dict(Counter(m.get("off_topic_kind") for m in metas if m["topic"] == "off_topic")),
        "labelled_articles": len({r["article_id"] for r in labelled}),
    }
    if labelled:
        card["labelled"] = _label_summary(labelled)
        card["labelled_by_split"] = {split: _label_summary([r for r in labelled if r["split"] == split])
                                     for split in ("train", "dev", "test") if any(r["split"] == split for r in labelled)}
    return card


def _label_summary(records: list[dict]) -> dict:
    counts = Counter(label for r in records for label in r["labels"])
    return {
        "sentences": len(records),
        "per_frame": {key: counts.get(key, 0) for key in FRAME_KEYS},
        "no_frame": sum(1 for r in records if not r["labels"]),
        "adjudicated_disagreements": sum(1 for r in records if r["pass_a"] != r["pass_b"]),
        "agreement": pass_agreement([r["pass_a"] for r in records], [r["pass_b"] for r in records]),
        "exact_agreement": exact_agreement([r["pass_a"] for r in records], [r["pass_b"] for r in records]),
    }


def render_card(card: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]Articles[/]: {card['articles']}  "
                  f"[bold]Sentences[/]: {sum(card['sentences'].values())} "
                  f"(prose {card['sentences'].get('prose', 0)}, furniture {card['sentences'].get('furniture', 0)})")
    for row in card["metadata"]:
        console.print(f"  {row['article_id']}: {row.get('title') or '(no title)'} | "
                      f"{row.get('outlet') or '?'} | {row.get('date') or '?'} | {row.get('author') or '?'}")
    for name in ("gold", "authored"):
        if name in card:
            console.print(_frame_table(name, card[name], Table))
    if "article_corpus" in card:
        _render_article_corpus(console, card["article_corpus"], Table)


def _render_article_corpus(console, corpus: dict, table_cls) -> None:
    splits = ", ".join(f"{k} {v['articles']} articles / {v['prose_sentences']} prose sentences"
                       for k, v in corpus["by_split"].items())
    console.print(f"[bold]Article corpus[/] (written by us): {corpus['articles']} articles "
                  f"({', '.join(f'{k} {v}' for k, v in corpus['by_topic'].items())}); {splits}")
    for name in ("by_setting", "by_register", "by_off_topic_kind"):
        console.print(f"  {name.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in corpus[name].items()))
    console.print(f"  labelled articles: {corpus['labelled_articles']} of {corpus['articles']}")
    for split, summary in corpus.get("labelled_by_split", {}).items():
        console.print(_frame_table(f"article corpus, {split}", summary, table_cls))


def _frame_table(name: str, summary: dict, table_cls):
    table = table_cls(title=f"{name}: {summary['sentences']} sentences, {summary['no_frame']} with no frame, "
                            f"{summary['adjudicated_disagreements']} adjudicated, "
                            f"exact agreement {summary['exact_agreement']:.3f}")
    for column in ("frame", "gold count", "pass A", "pass B", "kappa", "F1 (A vs B)"):
        table.add_column(column, justify="left" if column == "frame" else "right")
    for key in FRAME_KEYS:
        agree = summary["agreement"][key]
        table.add_row(key, str(summary["per_frame"][key]), str(agree["pass_a"]), str(agree["pass_b"]),
                      f"{agree['kappa']:.3f}", f"{agree['f1']:.3f}")
    return table
