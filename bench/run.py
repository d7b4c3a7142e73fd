"""Time the pages people wait for, on a database loaded by ``bench/generate.py``.

    .venv/bin/python bench/run.py [--runs 30] [--quick] [--out bench/results/latest.json]

In-process with Django's test Client (``DEBUG`` off, static files collected, as in
production) as a consultant, a sales manager and a group-level user: p50/p95 of each page,
its query count, and for the four monthly report tables the ratio to one hand-written SQL
query returning the same figures. Then the 100,000-row Excel export and the 50,000-row
customer import, each in a child process for its time and peak memory, and 60 s of mixed
reads under ``wrk`` against gunicorn with 2 workers on loopback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from memory import peak_rss_mb  # bench/memory.py

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-only-secret-key-not-for-production-0123456789abcdefghijklmnop"  # noqa: S105
ENV = {
    "DEBUG": "false",
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
}
TARGETS = {"interactive": 100, "search": 50, "store_report": 300, "group_report": 2000}
EXPORT_TARGET_S, EXPORT_TARGET_MB, IMPORT_TARGET_S = 15, 300, 60
CONCURRENT_TARGET_RPS, CONCURRENT_TARGET_P95 = 150, 250


def setup() -> None:
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerplan.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from dealerplan.core.process import tune_garbage_collector

    tune_garbage_collector()  # as dealerplan.wsgi does for the real server


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- the people and the things they look at ---------------------------------------------------


def cast():
    """The consultant with most customers, their store's sales manager, the group user."""
    from django.db.models import Count

    from dealerplan.core.choices import Role
    from dealerplan.customers.models import Customer
    from dealerplan.org.models import User

    top = Customer.objects.values("owner").annotate(n=Count("pk")).order_by("-n").first()["owner"]
    consultant = User.objects.get(pk=top)
    manager = User.objects.get(store=consultant.store, role=Role.SALES_MANAGER)
    group = User.objects.get(username="bench_group")
    return consultant, manager, group


def search_terms(consultant):
    from dealerplan.core.pinyin import initials
    from dealerplan.customers.models import Customer

    customer = Customer.objects.filter(owner=consultant, kind="individual").order_by("pk")[10]
    return {
        "name": customer.name[:2],
        "phone": customer.phone[-6:],
        "pinyin": initials(customer.name),
        "customer": customer,
    }


def scenarios(consultant, manager, group, month: str):
    from dealerplan.activities.models import Activity
    from dealerplan.customers.models import Customer

    terms = search_terms(consultant)
    busiest = (
        Activity.objects.filter(owner=consultant, customer__owner=consultant)
        .values_list("customer", flat=True)
        .order_by("-done_at")
        .first()
    )
    detail = busiest or Customer.objects.filter(owner=consultant).first().pk
    store = manager.store_id
    page = min(500, max(1, Customer.objects.visible_to(manager).active().count() // 25))
    i, s = TARGETS["interactive"], TARGETS["search"]
    pages = [
        ("my_day consultant", consultant, "/my-day/", i),
        ("my_day manager", manager, "/my-day/", i),
        ("home manager", manager, "/", i),
        ("search name consultant", consultant, f"/customers/?q={terms['name']}", s),
        ("search phone consultant", consultant, f"/customers/?q={terms['phone']}", s),
        ("search pinyin consultant", consultant, f"/customers/?q={terms['pinyin']}", s),
        ("search name manager", manager, f"/customers/?q={terms['name']}", s),
        ("search phone manager", manager, f"/customers/?q={terms['phone']}", s),
        ("search pinyin manager", manager, f"/customers/?q={terms['pinyin']}", s),
        ("search pinyin group", group, f"/customers/?q={terms['pinyin']}", s),
        (
            "customers filtered p1 manager",
            manager,
            "/customers/?intention_level=open&account_tier=other",
            i,
        ),
        (f"customers p{page} manager", manager, f"/customers/?page={page}", i),
        ("customers p1 group", group, "/customers/", i),
        ("customer detail consultant", consultant, f"/customers/{detail}/", i),
        ("deal board consultant", consultant, "/deals/board/", i),
        ("deal board manager", manager, "/deals/board/", i),
        ("deal tracking manager", manager, "/deals/tracking/", i),
        ("stock list manager", manager, "/inventory/", i),
        ("stock summary manager", manager, "/inventory/summary/", i),
        ("plan vs actual consultant", consultant, f"/plans/progress/?month={month}", i),
        ("plan vs actual manager", manager, f"/plans/progress/?month={month}", i),
    ]
    reports = []
    for key, slug in (
        ("sales_plan", "sales-plan"),
        ("visit_plan", "visit-plan"),
        ("sales_stats", "sales-statistics"),
        ("visit_stats", "visit-statistics"),
    ):
        reports.append(
            (
                f"report {key} store",
                group,
                f"/reports/{slug}/?month={month}&store={store}",
                TARGETS["store_report"],
                key,
                store,
            )
        )
        reports.append(
            (
                f"report {key} group",
                group,
                f"/reports/{slug}/?month={month}",
                TARGETS["group_report"],
                key,
                None,
            )
        )
    return pages, reports


# --- raw SQL floors ---------------------------------------------------------------------------


def floor_sql(key: str, store, month: dt.date):
    """One hand-written query returning the figures of a monthly report table."""
    start = month
    end = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    store_plan = "AND p.store_id = %(store)s" if store else ""
    store_order = "AND o.store_id = %(store)s" if store else ""
    store_customer = "AND c.store_id = %(store)s" if store else ""
    store_activity = "AND a.store_id = %(store)s" if store else ""
    params = {"start": start, "end": end, "store": store}
    if key == "sales_plan":
        sql = f"""
            SELECT u.username, t.name, s.name, l.metric, l.quota, l.goal
            FROM planning_planline l JOIN planning_plan p ON p.id = l.plan_id
            JOIN org_user u ON u.id = p.consultant_id LEFT JOIN org_team t ON t.id = u.team_id
            LEFT JOIN catalog_series s ON s.id = l.series_id
            WHERE p.period_type = 'month' AND p.period_start = %(start)s
              AND p.scope = 'consultant' AND l.metric IN ('units', 'revenue', 'gross_profit')
              {store_plan}
            ORDER BY u.username, s.name"""  # noqa: S608 - fixed text, values are parameters
    elif key == "sales_stats":
        sql = f"""
            WITH actual AS (
              SELECT o.consultant_id AS person, tr.series_id AS series, count(*) AS units,
                     sum(o.total) AS revenue, sum(o.gross_profit) AS gross_profit
              FROM orders_salesorder o JOIN catalog_trim tr ON tr.id = o.trim_id
              WHERE o.order_date >= %(start)s AND o.order_date < %(end)s
                AND o.status <> 'cancelled' {store_order}
              GROUP BY GROUPING SETS ((1, 2), (1))),
            target AS (
              SELECT p.consultant_id AS person, l.series_id AS series,
                     sum(l.quota) FILTER (WHERE l.metric = 'units') AS units_quota,
                     sum(l.goal) FILTER (WHERE l.metric = 'units') AS units_goal,
                     sum(l.quota) FILTER (WHERE l.metric = 'revenue') AS revenue_quota,
                     sum(l.quota) FILTER (WHERE l.metric = 'gross_profit') AS gp_quota
              FROM planning_planline l JOIN planning_plan p ON p.id = l.plan_id
              WHERE p.period_type = 'month' AND p.period_start = %(start)s
                AND p.scope = 'consultant' {store_plan}
              GROUP BY 1, 2)
            SELECT * FROM actual FULL JOIN target USING (person, series)
            ORDER BY person, series"""  # noqa: S608 - fixed text, values are parameters
    elif key == "visit_plan":
        sql = f"""
            SELECT c.id, c.name, c.account_tier, c.owner_id, c.district,
                   (SELECT max(a.done_at) FROM activities_activity a
                     WHERE a.customer_id = c.id AND a.kind = 'visit' AND a.status = 'done')
                     AS last_visit,
                   (SELECT min(a.planned_at) FROM activities_activity a
                     WHERE a.customer_id = c.id AND a.kind = 'visit' AND a.status = 'planned'
                       AND a.planned_at >= %(start)s AND a.planned_at < %(end)s) AS planned
            FROM customers_customer c
            WHERE c.account_tier IN ('vip', 'tier1') AND NOT c.is_archived
              AND c.intention_level <> 'F' {store_customer}
            ORDER BY c.account_tier, c.name"""  # noqa: S608 - fixed text, values are parameters
    else:  # visit_stats
        sql = f"""
            SELECT a.owner_id, c.account_tier, count(*) AS visits,
                   count(DISTINCT a.customer_id) AS customers
            FROM activities_activity a JOIN customers_customer c ON c.id = a.customer_id
            WHERE a.kind = 'visit' AND a.status = 'done'
              AND a.done_at >= %(start)s AND a.done_at < %(end)s {store_activity}
            GROUP BY GROUPING SETS ((1, 2), (1), (2))"""  # noqa: S608 - fixed text, values are parameters
    return sql, params


def time_floor(key, store, month, runs):
    from django.db import connection

    sql, params = floor_sql(key, store, month)
    raw = connection.connection
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with raw.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


# --- timing pages -----------------------------------------------------------------------------


def measure(client, url, runs, budget_s):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    queries = len(captured.captured_queries)
    timings = []
    deadline = time.perf_counter() + budget_s
    while len(timings) < runs and (len(timings) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        response = client.get(url)
        response.content  # noqa: B018 - render it all
        timings.append((time.perf_counter() - started) * 1000)
    return timings, queries


def result(name, timings, queries, target, ratio=None, **extra):
    return {
        "name": name,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "queries": queries,
        "ratio_to_sql": ratio,
        "target_ms": target,
        "runs": len(timings),
        **extra,
    }


# --- export and import in child processes -----------------------------------------------------


def export_child(username: str, query: str) -> dict:
    """Runs the customer list's background export as ``username``: time and peak memory.

    Peak memory is the process's peak RSS (tracemalloc would slow the run it measures).
    """
    setup()
    from django.conf import settings

    from dealerplan.core.exports import run_export
    from dealerplan.core.models import ExportJob
    from dealerplan.org.models import User

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-export-")
    user = User.objects.get(username=username)
    job = ExportJob.objects.create(
        user=user, path="/customers/", query=query, title="客户", filename="bench.xlsx"
    )
    from django.urls import resolve

    resolve("/customers/")  # import the URLconf and views before the clock starts
    baseline = peak_rss_mb()
    started = time.perf_counter()
    try:
        run_export(job)
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        size = job.file.size
    finally:
        if job.file:
            job.file.delete(save=False)
        job.delete()
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    return {
        "rows": job.total_rows,
        "seconds": round(seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        # The workbook is written by a forked child (core.exports.write_xlsx_in_child); a fork
        # (no execve) starts with this process's pages, so its figure includes what they share.
        "writer_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "baseline_rss_mb": baseline,
        "file_mb": round(size / 1e6, 1),
    }


def run_child(args: list[str], env=None) -> dict:
    completed = subprocess.run(  # noqa: S603 - this very script or its sibling
        [sys.executable, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if completed.returncode:
        print(completed.stdout[-2000:], completed.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"child {args[0]} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def bench_import(rows: int) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    import import_customers

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        workbook = Path(tmp) / "customers.xlsx"
        import_customers.generate(workbook, rows)
        env = {"DEBUG": "true", "LOG_LEVEL": "WARNING"}
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'import.sqlite3'}"
        return run_child(
            [str(ROOT / "bench" / "import_customers.py"), "--child", str(workbook)], env
        )


# --- concurrent reads -------------------------------------------------------------------------


WRK_SCRIPT = """
paths = {%(paths)s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1],
    {["Cookie"] = "sessionid=%(session)s", ["Host"] = "127.0.0.1"})
end
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, \\"p95_us\\": %%d, "
    .. "\\"errors\\": %%d, \\"non_2xx\\": %%d}\\n",
    summary.requests, summary.duration, math.floor(latency:percentile(50)),
    math.floor(latency:percentile(95)),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def concurrent(session_key: str, paths: list[str], seconds: int, threads: int = 1) -> dict:
    wrk = shutil.which("wrk")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not wrk or not gunicorn.exists():
        return {"skipped": "wrk or gunicorn is not installed"}
    port = free_port()
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "60"}
    server = subprocess.Popen(  # noqa: S603
        [
            str(gunicorn),
            "dealerplan.wsgi",
            "--workers",
            "2",
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                WRK_SCRIPT
                % {
                    "paths": ", ".join(json.dumps(quote(p, safe="/?=&")) for p in paths),
                    "session": session_key,
                }
            )
        # Warm both workers (connections, templates, translations).
        subprocess.run(  # noqa: S603 - wrk on loopback
            [
                wrk,
                "-t2",
                "-c4",
                "-d3s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            check=False,
        )
        completed = subprocess.run(  # noqa: S603
            [
                wrk,
                "-t2",
                "-c8",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        os.unlink(script.name)
        line = next((x for x in completed.stdout.splitlines() if x.startswith("WRKJSON")), None)
        if line is None:
            server.terminate()
            _out, errors = server.communicate(timeout=30)
            return {
                "skipped": f"wrk failed: {completed.stdout[-300:]} {completed.stderr[-300:]}"
                f" server: {errors.decode()[-1500:]}"
            }
        figures = json.loads(line.removeprefix("WRKJSON"))
        return {
            "throughput_rps": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
            "concurrent_p50_ms": round(figures["p50_us"] / 1000, 1),
            "concurrent_p95_ms": round(figures["p95_us"] / 1000, 1),
            "requests": figures["requests"],
            "errors": figures["errors"],
            "non_2xx": figures["non_2xx"],
            "seconds": seconds,
            "connections": 8,
            "workers": 2,
            "threads": threads,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--budget", type=float, default=40, help="seconds at most per page")
    parser.add_argument("--quick", action="store_true", help="fewer runs, short wrk, small import")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--concurrent-seconds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--skip", default="", help="comma list: export,import,concurrent")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--export-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        print(json.dumps(export_child(*args.export_child)))
        return
    if args.quick:
        args.runs, args.budget = min(args.runs, 10), min(args.budget, 8)
        args.import_rows, args.concurrent_seconds = 2_500, 10
    skip = set(filter(None, args.skip.split(",")))

    setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    call_command("collectstatic", interactive=False, verbosity=0)
    consultant, manager, group = cast()
    month = timezone.localdate().replace(day=1)
    pages, reports = scenarios(consultant, manager, group, f"{month:%Y-%m}")
    clients = {}
    for user in (consultant, manager, group):
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
    results = []
    print(
        f"database {connection.vendor}; runs {args.runs} per page (at most "
        f"{args.budget:.0f} s each)",
        flush=True,
    )
    for name, user, url, target in pages:
        timings, queries = measure(clients[user.pk], url, args.runs, args.budget)
        results.append(result(name, timings, queries, target, url=url))
        print(
            f"  {name:<34}p50 {results[-1]['p50_ms']:>8} ms  p95 {results[-1]['p95_ms']:>8}"
            f" ms  {queries:>3} queries",
            flush=True,
        )
    for name, user, url, target, key, store in reports:
        timings, queries = measure(clients[user.pk], url, args.runs, args.budget)
        ratio = None
        if connection.vendor == "postgresql":
            floor = time_floor(key, store, month, max(5, args.runs // 3))
            ratio = round(statistics.median(timings) / floor, 1) if floor else None
        results.append(result(name, timings, queries, target, ratio, url=url))
        print(
            f"  {name:<34}p50 {results[-1]['p50_ms']:>8} ms  p95 {results[-1]['p95_ms']:>8}"
            f" ms  {queries:>3} queries  x{ratio} SQL",
            flush=True,
        )

    output = {"results": results}
    if "export" not in skip:
        figures = run_child([__file__, "--export-child", group.username, "source=online"])
        results.append(
            {
                "name": f"export xlsx {figures['rows']:,} rows",
                "p50_ms": figures["seconds"] * 1000,
                "p95_ms": None,
                "queries": None,
                "ratio_to_sql": None,
                "target_ms": EXPORT_TARGET_S * 1000,
                "runs": 1,
                "peak_rss_mb": figures["peak_rss_mb"],
                "target_mb": EXPORT_TARGET_MB,
                **{f"export_{k}": v for k, v in figures.items()},
            }
        )
        print(f"  export: {figures}", flush=True)
    if "import" not in skip:
        figures = bench_import(args.import_rows)
        results.append(
            {
                "name": f"import {figures['rows']:,} customer rows",
                "p50_ms": figures["total_s"] * 1000,
                "p95_ms": None,
                "queries": None,
                "ratio_to_sql": None,
                "target_ms": IMPORT_TARGET_S * 1000,
                "runs": 1,
                "peak_rss_mb": figures["peak_rss_mb"],
                **{f"import_{k}": v for k, v in figures.items()},
            }
        )
        print(f"  import: {figures}", flush=True)
    if "concurrent" not in skip:
        session = clients[manager.pk].cookies["sessionid"].value
        paths = [url for _n, user, url, _t in pages if user == manager]
        paths += [url for _n, _u, url, _t, _k, store in reports if store][:2]
        figures = concurrent(session, paths, args.concurrent_seconds, args.threads)
        output.update(figures)
        print(f"  concurrent: {figures}", flush=True)
    output["meta"] = {
        "database": connection.vendor,
        "when": timezone.now().isoformat(timespec="seconds"),
        "customers": __import__(
            "dealerplan.customers.models", fromlist=["Customer"]
        ).Customer.objects.count(),
        "quick": args.quick,
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(output, indent=2, ensure_ascii=False, default=str))
    print(f"written {args.out}")
    # The concurrent run's manager pages need the consultant/group cookies no more.
    for client in clients.values():
        client.logout()


if __name__ == "__main__":
    main()
