"""Print bench/results/latest.json (or the file given) as a markdown table for README.

.venv/bin/python bench/report.py [results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "results" / "latest.json"


def fmt(value, suffix="") -> str:
    return "—" if value is None else f"{value:,}{suffix}"


def verdict(row) -> str:
    misses = []
    if row.get("target_ms") is not None and row.get("p95_ms") is not None:
        if row["p95_ms"] > row["target_ms"]:
            misses.append("time")
    elif row.get("target_ms") is not None and row["p50_ms"] > row["target_ms"]:
        misses.append("time")
    if row.get("ratio_to_sql") is not None and row["ratio_to_sql"] > 1.5:
        misses.append("×SQL")
    if row.get("target_mb") is not None and row.get("peak_rss_mb", 0) > row["target_mb"]:
        misses.append("memory")
    return "miss: " + ", ".join(misses) if misses else "ok"


def render(data: dict) -> str:
    meta = data.get("meta", {})
    lines = [
        f"Database {meta.get('database', '?')}, {fmt(meta.get('customers'))} customers, "
        f"{meta.get('cpus', '?')} CPUs, {meta.get('when', '')}"
        + (" (quick: fewer runs, no targets)" if meta.get("quick") else ""),
        "",
        "| page | runs | p50 ms | p95 ms | queries | × raw SQL | target ms | |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in data["results"]:
        extra = f" (peak {row['peak_rss_mb']} MB)" if row.get("peak_rss_mb") else ""
        lines.append(
            f"| {row['name']}{extra} | {row.get('runs', '')} | {fmt(row['p50_ms'])} | "
            f"{fmt(row['p95_ms'])} | {fmt(row['queries'])} | {fmt(row['ratio_to_sql'])} | "
            f"{fmt(row['target_ms'])} | {'' if meta.get('quick') else verdict(row)} |"
        )
    if "throughput_rps" in data:
        lines += [
            "",
            f"Mixed reads, gunicorn 2 workers, wrk {data.get('connections', 8)} connections for "
            f"{data.get('seconds')} s: **{data['throughput_rps']} req/s**, p95 "
            f"**{data['concurrent_p95_ms']} ms** (target ≥ 150 req/s, p95 ≤ 250 ms; "
            f"{data.get('errors', 0)} errors, {data.get('non_2xx', 0)} non-2xx)",
        ]
    elif data.get("skipped"):
        lines += ["", f"Concurrent run skipped: {data['skipped'][:200]}"]
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    print(render(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
