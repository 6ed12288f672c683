"""`sectframes` commands for annotation data: rebuilding the article corpus, sampling sentences for Label
Studio and importing its labels (the parser and the rest of the CLI are in `train.cli`)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

log = logging.getLogger("sectframes")


def cmd_build_corpus(args: argparse.Namespace) -> int:
    import json

    from train.corpus.assemble import annotation_packet, build_corpus

    build_corpus()
    if args.packet:
        text, ids = annotation_packet(article_ids=args.articles or None)
        Path(args.packet).write_text(text, encoding="utf-8")
        Path(args.packet).with_suffix(".ids.json").write_text(json.dumps(ids), encoding="utf-8")
        log.info("wrote an annotation packet of %d sentences to %s", len(ids), args.packet)
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    import json

    from train.scoring.sample import SampleOptions, sample

    options = SampleOptions(args.n, args.random_share, args.per_article, args.seed)
    if options.n < 1 or not 0 <= options.random_share <= 1 or options.per_article < 1:
        raise ValueError("-n and --per-article must be positive and --random-share between 0 and 1")
    tasks = sample(Path(args.scores), options)
    Path(args.output).write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    drawn = sum(t["data"]["drawn"] == "random" for t in tasks)
    log.info("wrote %d Label Studio tasks to %s (%d near the thresholds, %d at random)", len(tasks), args.output,
             len(tasks) - drawn, drawn)
    return 0


def cmd_import_labels(args: argparse.Namespace) -> int:
    from train.corpus.user_labels import import_labels

    target, summary = import_labels(Path(args.export))
    log.info("%d labelled tasks: %d written to %s, %d where annotators disagree set apart for adjudication",
             summary["tasks"], summary["agreed"], target, summary["disputed"])
    if summary["agreement"]:
        agree = summary["agreement"]
        log.info("agreement of annotators %s on %d tasks: exact %.3f; kappa %s", " and ".join(agree["annotators"]),
                 agree["tasks"], agree["exact_agreement"],
                 ", ".join(f"{k} {v['kappa']:.3f}" for k, v in agree["per_frame"].items()))
    return 0


def _credentials(folder: Path) -> dict:
    """The local Label Studio user, made once per data folder (kept in it, git-ignored)."""
    import json
    import secrets

    path = folder / "credentials.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"username": "annotator@localhost", "password": secrets.token_urlsafe(12),
                                    "token": secrets.token_hex(20)}), encoding="utf-8")
        path.chmod(0o600)
    return json.loads(path.read_text(encoding="utf-8"))


def cmd_annotate(args: argparse.Namespace) -> int:
    """Label Studio on 127.0.0.1 with the project and tasks set up; Ctrl-C stops it and saves the export."""
    import json
    import signal

    from train import labelstudio

    tasks = json.loads(Path(args.tasks).read_text(encoding="utf-8")) if args.tasks else []
    folder = Path(args.data_dir)
    who = _credentials(folder)
    process = labelstudio.start(args.label_studio, args.port, folder, who["username"], who["password"],
                                who["token"], folder / "label-studio.log")
    server = labelstudio.Server(f"http://127.0.0.1:{args.port}", who["token"], who["username"], who["password"])
    try:
        project = labelstudio.ensure_project(server, tasks)
        log.info("Label Studio: %s/projects/%d  (login %s, password %s); Ctrl-C when done", server.url, project,
                 who["username"], who["password"])
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if process.poll() is None:
            try:
                export = Path(args.export)
                export.parent.mkdir(parents=True, exist_ok=True)
                export.write_text(json.dumps(labelstudio.exported_tasks(server, project), ensure_ascii=False),
                                  encoding="utf-8")
                log.info("saved the project's export to %s: `sectframes import-labels %s` brings the labels in",
                         export, export)
            except Exception as exc:  # noqa: BLE001 - stopping Label Studio matters more
                log.warning("could not save the export: %s", exc)
            os.killpg(process.pid, signal.SIGTERM)
    return 0
