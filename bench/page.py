"""Time one page on the benchmark database and show where its time goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerplan_bench \\
        .venv/bin/python bench/page.py /deals/board/ --as manager [--runs 10] [--sql] [--explain]

``--as`` is ``consultant`` (the one with most customers), ``manager`` (their store's sales
manager) or ``group``, as in ``bench/run.py``. Prints p50/p95 and the query count; ``--sql``
lists each query of one request with its time, slowest first; ``--explain`` adds
``EXPLAIN (ANALYZE, BUFFERS)`` of the three slowest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # the harness's own set-up and cast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--as", dest="who", default="consultant")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    run.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("collectstatic", interactive=False, verbosity=0)
    consultant, manager, group = run.cast()
    user = {"consultant": consultant, "manager": manager, "group": group}[args.who]
    client = Client()
    client.force_login(user)
    timings, queries = run.measure(client, args.url, args.runs, budget_s=120)
    print(
        f"{args.url} as {user.username}: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {run.percentile(timings, 0.95):.1f} ms, {queries} queries, {len(timings)} runs"
    )
    if not (args.sql or args.explain):
        return
    with CaptureQueriesContext(connection) as captured:
        client.get(args.url)
    ranked = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    for query in ranked:
        print(f"\n{float(query['time']) * 1000:8.1f} ms  {query['sql'][:600]}")
    if args.explain and connection.vendor == "postgresql":
        for query in ranked[:3]:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                print("\n" + "\n".join(row[0] for row in cursor.fetchall()))
    started = time.perf_counter()
    client.get(args.url).content  # noqa: B018
    print(f"\none more request: {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
