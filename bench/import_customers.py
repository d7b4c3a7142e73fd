"""Benchmark the customer import: a generated 50,000-row workbook through the real services.

    .venv/bin/python bench/import_customers.py [--rows 50000] [--existing 500]

Generates an .xlsx (Chinese headers, every column the import knows), then, in a fresh database,
runs the same functions the pages and the task queue call: ``start_import`` (upload check: the
header row and the first rows only), ``check_import`` (parse + validate + duplicate lookup, the
preview; the checked rows are kept beside the upload) and ``run_import`` (re-verify the kept rows
against the catalogue, the staff and the store's phones, then write everything in one
transaction: COPY on PostgreSQL, ``bulk_create`` on SQLite). ``--reread`` drops the kept rows
first, so the import parses and validates the workbook again. ``--existing`` customers of the
store share a phone with the file and are merged. Prints seconds per step and the peak memory
(RSS).

The database is a fresh SQLite file; when ``DATABASE_URL`` names PostgreSQL, the benchmark runs
there too (in a throw-away ``test_…`` database created and dropped by Django's test machinery).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅丹萍鹏飞宇浩然子涵欣怡"
LEVELS = ["H", "A", "B", "B", "C", "C", "O", "D"]
SOURCES = ["来店", "来电", "网络", "转介绍", "活动/车展", "电话/上门开发", "大客户/招投标", "其他"]
TIERS = ["VIP", "一级", "二级", "其它", "其它"]
DISTRICTS = ["朝阳区", "海淀区", "东城区", "西城区", "丰台区", "通州区", "大兴区", "昌平区"]
TRIMS = [
    ("速腾", "200TSI 舒适型"),
    ("速腾", "300TSI 旗舰型"),
    ("迈腾", "330TSI 豪华型"),
    ("探岳", "330TSI 四驱智享版"),
    ("ID.4 CROZZ", "长续航 PRO"),
]
HEADERS = [
    "客户姓名",
    "手机号",
    "微信号",
    "性别",
    "意向级别",
    "客户等级",
    "来源渠道",
    "意向车型",
    "预算",
    "区域",
    "地址",
    "下次跟进时间",
    "备注",
    "客户类型",
]


def phone_for(index: int) -> str:
    return f"139{index:08d}"


def generate(path: Path, rows: int, seed: int = 1) -> None:
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(HEADERS)
    start = datetime.datetime(2026, 12, 1, 9, 0)
    for index in range(rows):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2])))
        series, trim = rng.choice(TRIMS)
        sheet.append(
            [
                name,
                phone_for(index),
                f"wx_{index}" if rng.random() < 0.6 else None,
                rng.choice(["男", "女", None]),
                rng.choice(LEVELS),
                rng.choice(TIERS),
                rng.choice(SOURCES),
                f"{series} {trim}",
                rng.randrange(80, 400) * 1000,
                rng.choice(DISTRICTS),
                f"北京市{rng.choice(DISTRICTS)}某某路 {rng.randrange(1, 300)} 号",
                start + datetime.timedelta(hours=rng.randrange(0, 24 * 60)),
                "对 SUV 感兴趣" if rng.random() < 0.3 else None,
                "单位" if rng.random() < 0.05 else "个人",
            ]
        )
    workbook.save(path)


def run_in_fresh_database(path: Path, existing: int, reread: bool) -> dict:
    """Runs inside a child process whose DATABASE_URL names the database to benchmark."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerplan.settings")
    os.environ.setdefault("DEBUG", "true")
    sys.path.insert(0, str(ROOT / "src"))
    django.setup()
    from django.conf import settings
    from django.core.files import File
    from django.db import connection

    media = tempfile.mkdtemp(prefix="bench-media-")
    settings.MEDIA_ROOT = media
    if connection.vendor == "sqlite":
        # A file, not the in-memory default for SQLite tests: what a real store runs on.
        connection.settings_dict["TEST"]["NAME"] = str(connection.settings_dict["NAME"])
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from decimal import Decimal

        from dealerplan.catalog.models import Brand, Series, Trim
        from dealerplan.core import importing as core_importing
        from dealerplan.core.choices import Role
        from dealerplan.customers import importing
        from dealerplan.customers.models import Customer, ImportJob
        from dealerplan.org.models import Store, User

        store = Store.objects.create(code="bench", name="基准测试店")
        manager = User.objects.create(
            username="bench_manager", store=store, role=Role.SALES_MANAGER
        )
        consultant = User.objects.create(
            username="bench_consultant", store=store, role=Role.CONSULTANT
        )
        brand = Brand.objects.create(name="一汽-大众")
        for series_name, trim_name in TRIMS:
            series, _created = Series.objects.get_or_create(brand=brand, name=series_name)
            Trim.objects.create(
                series=series, name=trim_name, model_year=2026, guide_price=Decimal("199900.00")
            )
        Customer.objects.bulk_create(
            Customer(store=store, owner=consultant, name=f"老客户{i}", phone=phone_for(i * 97))
            for i in range(existing)
        )

        timings = {}
        memory = {}

        from memory import peak_rss_mb as peak_mb  # bench/memory.py

        started = time.perf_counter()
        with open(path, "rb") as handle:
            job = importing.start_import(user=manager, uploaded=File(handle, name=path.name))
        timings["upload_check_s"] = time.perf_counter() - started
        memory["after_upload_mb"] = peak_mb()

        started = time.perf_counter()
        job = importing.check_import(job)
        timings["preview_s"] = time.perf_counter() - started
        memory["after_preview_mb"] = peak_mb()
        assert job.status == ImportJob.Status.PREVIEWED, job.error_summary
        assert job.report["issue_count"] == 0, job.report["issues"][:5]
        importing.set_duplicate_action(job, ImportJob.DuplicateAction.MERGE)
        if reread:  # as if the saved check were lost: the import reads the workbook again
            core_importing.delete_checked_rows(job)

        started = time.perf_counter()
        assert importing.confirm_import(job)
        job = importing.run_import(job)
        timings["import_s"] = time.perf_counter() - started
        assert job.status == ImportJob.Status.DONE, job.error_summary
        timings["total_s"] = sum(timings.values())
        return {
            "database": connection.vendor,
            "rows": job.total_rows,
            "created": job.created_count,
            "merged": job.merged_count,
            "customers_in_store": Customer.objects.filter(store=store).count(),
            **{key: round(value, 2) for key, value in timings.items()},
            **memory,
            "peak_rss_mb": peak_mb(),
        }
    finally:
        connection.creation.destroy_test_db(test_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--existing",
        type=int,
        default=500,
        help="customers already in the store with a phone from the file",
    )
    parser.add_argument(
        "--reread",
        action="store_true",
        help="make the import step read the workbook again instead of the saved check",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_in_fresh_database(args.child, args.existing, args.reread)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        workbook = Path(tmp) / "customers.xlsx"
        started = time.perf_counter()
        generate(workbook, args.rows)
        print(
            f"generated {args.rows:,} rows ({workbook.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")]
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            targets.append(("PostgreSQL", os.environ["DATABASE_URL"]))
        for label, url in targets:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DEBUG": "true",
                "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            }
            result = subprocess.run(  # noqa: S603 - runs this very script
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(workbook),
                    "--existing",
                    str(args.existing),
                    *(["--reread"] if args.reread else []),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                print(result.stdout, result.stderr, file=sys.stderr)
                raise SystemExit(f"{label} benchmark failed")
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            if result.stderr.strip():  # the services' own log lines (BENCH_LOG_LEVEL=INFO)
                print(result.stderr.strip())
            step = "import (read again + write)" if args.reread else "import (re-verify + write)"
            lines = [
                ("upload check", figures["upload_check_s"]),
                ("preview (parse + validate)", figures["preview_s"]),
                (step, figures["import_s"]),
                ("total", figures["total_s"]),
            ]
            print(
                f"{label}: {figures['rows']:,} rows -> {figures['created']:,} created, "
                f"{figures['merged']:,} merged"
            )
            for name, seconds in lines:
                print(f"  {name:<30}{seconds:>7.2f} s")
            print(
                f"  peak RSS {figures['peak_rss_mb']} MB (after upload "
                f"{figures['after_upload_mb']} MB, after preview {figures['after_preview_mb']} MB)"
            )


if __name__ == "__main__":
    main()
