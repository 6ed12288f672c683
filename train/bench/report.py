"""The bench report: machine description, the targets each model met, the console table and the MLflow run."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ENCODER_FAMILIES = ("embedding", "finetune")
TARGETS = {"e2e_share_of_model": 0.80, "tfidf_sentences_per_s": 20_000, "rss_growth": 0.10, "cold_start_s": 5.0}


def machine_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from models.encoder import available_cores

    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    memory_gb = float("nan")
    try:
        memory_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for package in ("torch", "onnxruntime", "transformers", "scikit-learn", "mlflow", "pysbd"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return {"cores": available_cores(), "cpu_count": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory_gb, 1),
            "platform": platform.platform(), "python": platform.python_version(), "versions": versions,
            "load_avg_start": list(os.getloadavg())}


def targets_met(row: dict, sizes: list[int]) -> dict:
    """The issue's targets that apply to this model (True/False each)."""
    met = {"cold_start_le_5s": row["cold_start_s"] <= TARGETS["cold_start_s"]}
    if len(sizes) > 1:
        low, high = row["peak_rss_mb"][str(sizes[0])], row["peak_rss_mb"][str(sizes[-1])]
        met["peak_rss_flat_within_10pct"] = high <= low * (1 + TARGETS["rss_growth"])
    if row["family"] in ENCODER_FAMILIES:
        met["e2e_ge_80pct_of_model"] = row["e2e_share_of_model"] >= TARGETS["e2e_share_of_model"]
    if row["family"] == "tfidf":
        met["model_ge_20000_per_s"] = row["model_sentences_per_s"] >= TARGETS["tfidf_sentences_per_s"]
        met["e2e_ge_20000_per_s"] = row["e2e_sentences_per_s"] >= TARGETS["tfidf_sentences_per_s"]
    return met


FAST_SPEEDUP = 4.0  # the fast twin's end-to-end speed over the champion's (issue 12)


def fast_verdict(report: dict) -> dict:
    """The fast twin's end-to-end speed-up over the champion at the largest size, and whether it meets 4x."""
    fast, champion = report.get("fast"), report["champion"]
    rows = report["models"]
    if not fast or fast not in rows or champion not in rows:
        return {}
    speedup = rows[fast]["e2e_sentences_per_s"] / rows[champion]["e2e_sentences_per_s"]
    return {"fast_speedup_e2e": speedup, "fast_speedup_ge_4x": speedup >= FAST_SPEEDUP}


def bench_table(report: dict):
    from rich.table import Table

    sizes = report["sizes"]
    table = Table(title=f"Benchmark on {report['machine']['cores']} cores (synthetic articles: "
                        f"{', '.join(f'{s:,}' for s in sizes)})")
    for column in ("model", "family", "e2e sent/s", "x champion", "model sent/s", "e2e/model", "cold start s",
                   *[f"peak RSS MB @{s:,}" for s in sizes], "load avg", "targets"):
        table.add_column(column, justify="left" if column in ("model", "family", "targets") else "right")
    champion_rate = report["models"].get(report["champion"], {}).get("e2e_sentences_per_s", float("nan"))
    roles = {report["champion"]: " (champion)", report.get("fast") or None: " (@fast)"}
    for name, row in report["models"].items():
        missed = [k for k, ok in row["targets_met"].items() if not ok]
        table.add_row(name + roles.get(name, ""), row["family"],
                      f"{row['e2e_sentences_per_s']:,.0f}", f"{row['e2e_sentences_per_s'] / champion_rate:.1f}x",
                      f"{row['model_sentences_per_s']:,.0f}",
                      f"{row['e2e_share_of_model']:.0%}", f"{row['cold_start_s']:.2f}",
                      *[f"{row['peak_rss_mb'][str(s)]:,.0f}" for s in sizes], f"{row['load_avg_1min']['mean']:.1f}",
                      "all met" if not missed else "missed: " + ", ".join(missed))
    return table


def log_to_mlflow(report: dict, path: Path, experiment: str) -> str:
    """One MLflow run (kind `bench`) with every number as a metric and bench.json as an artifact."""
    from train import tracking

    exp_id = tracking.experiment_id(experiment)
    tags = {tracking.KIND_TAG: "bench", "git_commit": tracking.git_commit(), "champion": report["champion"]}
    with tracking.tracked_run(exp_id, "bench", tags) as run:
        tracking.log_params({"sizes": ",".join(map(str, report["sizes"])), "cores": report["machine"]["cores"]})
        metrics = {}
        for name, row in report["models"].items():
            key = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
            metrics.update({f"{key}.e2e_sentences_per_s": row["e2e_sentences_per_s"],
                            f"{key}.model_sentences_per_s": row["model_sentences_per_s"],
                            f"{key}.cold_start_s": row["cold_start_s"]})
            metrics.update({f"{key}.peak_rss_mb_{size}": mb for size, mb in row["peak_rss_mb"].items()})
        if "fast_speedup_e2e" in report:
            metrics["fast_speedup_e2e"] = report["fast_speedup_e2e"]
        if report.get("serving"):
            metrics.update({f"serving.{k}": report["serving"][k] for k in ("requests_per_s", "p50_ms", "p99_ms")})
        tracking.log_metrics(metrics)
        tracking.log_artifact(path)
        return run.info.run_id

