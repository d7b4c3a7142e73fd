"""Load a whole dealer group into an empty, migrated database for the performance benchmark.

    .venv/bin/python bench/generate.py [--scale 1] [--seed 1]

At ``--scale 1``: 20 stores, 400 consultants, 1,000,000 customers, 10,000,000 activities,
1,000,000 traffic entries, 300,000 deals, 150,000 orders with their payments (about 345,000:
deposits, balances, down payments, loan disbursements, refunds), 60,000 vehicles and the month
plans of three years. Work per consultant is Zipf-skewed and every date follows the car market's
seasons (weak February, strong "金九银十" and year end).

Rows go in by PostgreSQL ``COPY`` (SQLite: ``executemany``) into the migrated schema, indexes
in place, then ``ANALYZE``. Column lists come from each model's concrete fields: a column not
generated here gets the field's Python default (Django defaults are not database defaults), so
new fields with a default need no change here; a new required field without one stops the run
with its name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench12345"  # noqa: S105 - benchmark data only
FULL = {
    "stores": 20,
    "consultants": 400,
    "customers": 1_000_000,
    "activities": 10_000_000,
    "traffic": 1_000_000,
    "deals": 300_000,
    "orders": 150_000,
    "vehicles": 60_000,
}
YEARS = 3
CHUNK = 200_000
#: Relative sales by calendar month: Spring Festival dip, 金九银十, year-end push.
SEASON = np.array([1.15, 0.65, 0.95, 0.95, 1.0, 1.1, 0.9, 0.9, 1.1, 1.15, 1.05, 1.3])
ZIPF = 0.8  # exponent of the per-consultant skew

SOURCES = (  # "online", a little over 10 %, gives the export benchmark its 100,000 rows
    ("walk_in", 0.30),
    ("phone_in", 0.15),
    ("online", 0.103),
    ("referral", 0.12),
    ("event", 0.08),
    ("outbound", 0.15),
    ("fleet", 0.03),
    ("other", 0.067),
)
LEVELS = (("H", 0.03), ("A", 0.08), ("B", 0.15), ("C", 0.20), ("O", 0.03), ("D", 0.35), ("F", 0.16))
TIERS = (("vip", 0.01), ("tier1", 0.03), ("tier2", 0.08), ("other", 0.88))
ACTIVITY_KINDS = (
    ("call", 0.55),
    ("message", 0.15),
    ("visit", 0.08),
    ("reception", 0.10),
    ("test_drive", 0.05),
    ("note", 0.07),
)
#: 定金: what a customer puts down to sign, in yuan, and how often.
DEPOSITS = ((2_000, 0.2), (5_000, 0.4), (10_000, 0.3), (20_000, 0.1))
DEPOSIT_METHODS = (
    ("wechat", 0.35),
    ("alipay", 0.2),
    ("card", 0.3),
    ("cash", 0.1),
    ("transfer", 0.05),
)
BALANCE_METHODS = (("transfer", 0.5), ("card", 0.35), ("wechat", 0.1), ("cash", 0.05))
LENDERS = ("平安银行", "招商银行", "工商银行", "上汽通用汽车金融", "大众汽车金融")
TRADE_IN_CARS = ("大众朗逸", "丰田卡罗拉", "本田雅阁", "日产轩逸", "别克英朗", "吉利帝豪", "哈弗H6")
OUTCOMES = ("reached", "no_answer", "appointment", "quoted", "not_interested", "other")
ACTIVITY_NOTES = (
    "客户对价格比较关心，约周末再谈",
    "已发送配置单和报价",
    "电话未接通，稍后再打",
    "客户在比较竞品，强调保值率",
    "邀约到店试驾",
    "",
    "",
)


def setup_django(database_url: str | None = None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerplan.settings")
    os.environ.setdefault("DEBUG", "true")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def counts_for(scale: float) -> dict[str, int]:
    counts = {key: max(1, round(value * scale)) for key, value in FULL.items()}
    counts["stores"] = max(2, counts["stores"])
    counts["consultants"] = max(4 * counts["stores"], counts["consultants"])
    return counts


# --- writing rows -----------------------------------------------------------------------------


class Writer:
    """Writes column arrays into a model's table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection, now: dt.datetime):
        self.connection = connection
        self.now_naive = now.astimezone(dt.UTC).replace(tzinfo=None)
        self.rows: dict[str, int] = {}

    def _constant(self, field):
        """The value of a column this script does not generate: the field's Python default."""
        from django.db import models

        if field.has_default():
            return field.get_db_prep_save(field.get_default(), self.connection)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.now_naive if self.connection.vendor == "postgresql" else str(self.now_naive)
        if field.null:
            return None
        if isinstance(field, models.CharField | models.TextField) and field.blank:
            return ""
        raise SystemExit(
            f"{field.model.__name__}.{field.name} is required and has no default: "
            "bench/generate.py must generate it"
        )

    def _raw(self, model, attname, columns):
        return self._sources[attname]

    def write(self, model, columns: dict, n: int) -> None:
        """``columns``: attname -> a sequence of n values (numpy or list) or one value for all."""
        self._sources = {}
        fields = list(model._meta.concrete_fields)
        unknown = set(columns) - {f.attname for f in fields}
        if unknown:
            raise SystemExit(f"{model.__name__} has no column {sorted(unknown)}")
        names, sources = [], []
        for field in fields:
            names.append(field.column)
            if field.attname in columns:
                value = columns[field.attname]
                self._sources[field.attname] = value
                if self.connection.vendor == "postgresql" and not self.connection.in_atomic_block:
                    sources.append(None)
                    continue
                if isinstance(value, np.ndarray):
                    value = value.tolist()
                if not isinstance(value, list):
                    value = [value] * n
                sources.append(value)
            else:
                self._sources[field.attname] = self._constant(field)
                sources.append([self._sources[field.attname]] * n)
        table = model._meta.db_table
        qn = self.connection.ops.quote_name
        column_sql = ", ".join(qn(name) for name in names)
        raw = self.connection.connection
        if self.connection.vendor == "postgresql":
            # Text COPY built here: ~5x faster than write_row() per row.
            text_columns = [_texts(self._raw(model, name, columns)) for name in _attnames(model)]
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {qn(table)} ({column_sql}) FROM STDIN") as copy,
            ):
                for start in range(0, n, 50_000):
                    part = [
                        c[start : start + 50_000] if isinstance(c, list) else c
                        for c in text_columns
                    ]
                    m = min(50_000, n - start)
                    part = [c if isinstance(c, list) else [c] * m for c in part]
                    copy.write("\n".join(map("\t".join, zip(*part, strict=True))) + "\n")
        else:
            marks = ", ".join(["?"] * len(names))
            cursor = raw.cursor()
            cursor.executemany(
                f"INSERT INTO {qn(table)} ({column_sql}) VALUES ({marks})",  # noqa: S608
                [tuple(_sqlite(v) for v in row) for row in zip(*sources, strict=True)],
            )
        self.rows[model._meta.label] = self.rows.get(model._meta.label, 0) + n


NULL = "\\N"


def _attnames(model):
    return [field.attname for field in model._meta.concrete_fields]


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "obj"):  # psycopg Jsonb around a JSONField default
        return json.dumps(value.obj).replace("\\", "\\\\")
    return str(value)


def _texts(value):
    """A column as COPY text: a list of strings, or one string for every row."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            text = np.datetime_as_string(value, unit="s")
            return np.where(np.isnat(value), "\\N", text).tolist()
        if value.dtype.kind == "b":
            return np.where(value, "t", "f").tolist()
        if value.dtype.kind in "iuf":
            return value.astype(str).tolist()
        value = value.tolist()
    if not isinstance(value, list):
        return _text(value)
    sample = next((v for v in value if v is not None), None)
    if isinstance(sample, str):
        return [NULL if v is None else v for v in value]
    if isinstance(sample, int | Decimal) and not isinstance(sample, bool):
        return [NULL if v is None else str(v) for v in value]
    if isinstance(sample, dt.date):
        return [NULL if v is None else v.isoformat() for v in value]
    return [_text(v) for v in value]


def _sqlite(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- random helpers ---------------------------------------------------------------------------


def pick(rng, pairs, n):
    values = np.array([value for value, _w in pairs], dtype=object)
    weights = np.array([w for _v, w in pairs], dtype=float)
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


def seasonal_days(rng, n: int, first: dt.date, last: dt.date) -> np.ndarray:
    """n day offsets from ``first`` (0 … last-first), weighted by month and weekday."""
    days = (last - first).days + 1
    weights = np.empty(days)
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        weights[offset] = SEASON[day.month - 1] * (1.35 if day.weekday() >= 5 else 1.0)
    return rng.choice(days, size=n, p=weights / weights.sum())


def within(start, offset, last):
    """``start + offset``, wrapped back into ``[start, last]`` rather than cut at ``last``:
    cutting piled every overflowing activity of a recent customer onto today."""
    room = np.maximum(last - start + 1, 1)
    return start + offset % room


def moments(day_offsets, first: dt.date, rng, start_hour=9, end_hour=19) -> np.ndarray:
    """Naive UTC datetimes (numpy datetime64[s]) at local (UTC+8) business hours."""
    base = np.datetime64(first.isoformat(), "s") - np.timedelta64(8, "h")
    seconds = rng.integers(start_hour * 3600, end_hour * 3600, size=len(day_offsets))
    return base + day_offsets.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")


def to_datetimes(values: np.ndarray) -> list:
    return values.astype("datetime64[us]").astype(object).tolist()


def to_dates(day_offsets: np.ndarray, first: dt.date) -> list:
    return (
        (np.datetime64(first.isoformat(), "D") + day_offsets.astype("timedelta64[D]"))
        .astype(object)
        .tolist()
    )


def money(values: np.ndarray) -> list:
    """Whole-fen Decimals from a float array of yuan."""
    return [Decimal(int(v)).scaleb(-2) for v in np.round(values * 100)]


def plate_of(index: int) -> str:
    """A unique valid plate (京A + 5 characters, no I or O) for an order number."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    chars = []
    for _ in range(5):
        index, rest = divmod(index, len(alphabet))
        chars.append(alphabet[rest])
    return "京A" + "".join(reversed(chars))


# --- money on orders ---------------------------------------------------------------------------


def fen_to_money(values: np.ndarray) -> list:
    """Decimals from whole fen (int64), exact."""
    return [Decimal(int(v)).scaleb(-2) for v in values.tolist()]


def trade_ins(rng, total_fen: np.ndarray) -> np.ndarray:
    """置换 values in fen, 0 for most orders: about one order in eight takes the customer's old
    car at 20,000–90,000 yuan (whole thousands), never more than 60 % of the total."""
    n = len(total_fen)
    value = np.round(rng.uniform(20_000, 90_000, n), -3).astype(np.int64) * 100
    cap = (total_fen * 6 // 10) // 100_000 * 100_000
    return np.where(rng.random(n) < 0.12, np.minimum(value, cap), 0)


def owing_share(days_since_delivery: np.ndarray) -> np.ndarray:
    """The chance a delivered order still owes part of its price: 15 % in the first month after
    delivery, 10 % up to three months, 2.2 % after (2–4 % of all delivered orders)."""
    age = days_since_delivery
    return np.where(age <= 30, 0.15, np.where(age <= 90, 0.10, 0.022))


def plan_payments(
    rng,
    *,
    status: np.ndarray,
    financing: np.ndarray,
    due_fen: np.ndarray,
    order_day: np.ndarray,
    delivery_day: np.ndarray,
    today_day: int,
) -> dict:
    """The payments of n orders the way a dealership records them, all money in whole fen and
    every day an offset on the orders' calendar.

    - A deposit (定金) on every order that is not a draft, on the order date.
    - Delivered: cash orders pay the balance on (or just before) delivery; loan orders pay a
      down payment (首付) before delivery and the lender disburses the loan (30–75 % of what is
      due, whole thousands) at delivery. ``owing_share`` of them still owe 2–30 % of what was
      left after the deposit, taken off the balance or the down payment.
    - Confirmed or allocated: the deposit; a third of those over two weeks old paid part of the
      balance (cash) or of the down payment (loan). Their loans are applied for after three
      days and, for most, approved after ten; none disbursed.
    - Cancelled: 70 % had paid a deposit, refunded in full within three weeks by the same
      channel.

    Nothing paid exceeds ``due_fen`` (total less trade-in); no day is before the order or after
    today. Returns the payment columns (``order`` = index into the inputs, ``kind``, ``method``,
    ``amount``, ``day``) in the order they came in, and per order the loan's ``loan_fen``,
    ``loan_status`` and step days (-1 where none).
    """
    n = len(status)
    span = today_day
    delivered = status == "delivered"
    live = (status == "confirmed") | (status == "allocated")
    cancelled = status == "cancelled"
    loan = financing == "loan"
    age = span - order_day

    deposit_yuan = np.array([v for v, _w in DEPOSITS], dtype=np.int64)
    deposit_p = np.array([w for _v, w in DEPOSITS])
    deposit = np.minimum(deposit_yuan[rng.choice(len(deposit_yuan), n, p=deposit_p)] * 100, due_fen)
    paid_deposit = (delivered | live | (cancelled & (rng.random(n) < 0.7))) & (deposit > 0)
    deposit_method = pick(rng, DEPOSIT_METHODS, n)
    rest = due_fen - deposit  # what is left after the deposit

    # The loan: 30-75 % of what is due, whole thousands of yuan, never all of the rest.
    loan_fen = (due_fen * rng.uniform(0.3, 0.75, n)).astype(np.int64) // 100_000 * 100_000
    loan_fen = np.minimum(loan_fen, np.maximum(rest - 100_000, 0) // 100_000 * 100_000)
    takes_loan = loan & (delivered | live) & (loan_fen > 0)
    customer_part = np.where(takes_loan, rest - loan_fen, rest)  # balance or down payment

    # Delivered: some still owe part of what the customer pays themselves.
    owes = delivered & (rng.random(n) < owing_share(span - delivery_day)) & (customer_part > 1)
    owed = np.round(customer_part * rng.uniform(0.02, 0.3, n)).astype(np.int64)
    owed = np.where(owes, np.clip(owed, 1, customer_part - 1), 0)
    # Confirmed or allocated over two weeks: part of the balance or down payment.
    partial = live & (age > 14) & (rng.random(n) < 0.35)
    part = np.round(customer_part * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    final = np.where(delivered, customer_part - owed, np.where(partial, part, 0))
    # Days: the customer's part between the order and delivery (cash: at delivery), the loan
    # at delivery; partial payments of open orders some day after the order.
    to_delivery = np.maximum(delivery_day - order_day, 0)
    cash_day = np.maximum(order_day, delivery_day - rng.integers(0, 3, n))
    down_day = order_day + (rng.random(n) * (to_delivery + 1)).astype(np.int64)
    part_day = order_day + 1 + (rng.random(n) * np.maximum(age - 1, 1)).astype(np.int64)
    final_day = np.where(
        delivered, np.where(takes_loan, down_day, cash_day), np.minimum(part_day, span)
    )
    disbursed = np.maximum(down_day, delivery_day - rng.integers(0, 4, n))
    applied = np.minimum(order_day + rng.integers(1, 4, n), span)
    approved = np.minimum(applied + rng.integers(2, 8, n), span)
    applied = np.where(delivered, np.minimum(applied, disbursed), applied)
    approved = np.where(delivered, np.minimum(approved, disbursed), approved)
    loan_status = np.full(n, "", dtype=object)
    in_progress = takes_loan & live & (age >= 3)
    loan_status[in_progress] = "applied"
    loan_status[in_progress & (age >= 10) & (rng.random(n) < 0.7)] = "approved"
    loan_status[takes_loan & delivered] = "disbursed"
    has_loan = loan_status != ""
    refund_day = np.minimum(order_day + rng.integers(1, 22, n), span)
    balance_method = pick(rng, BALANCE_METHODS, n)

    index = np.arange(n)
    parts = [  # (orders, kind, method, amount, day)
        (paid_deposit, "deposit", deposit_method, deposit, order_day),
        ((final > 0) & ~takes_loan, "balance", balance_method, final, final_day),
        ((final > 0) & takes_loan, "down_payment", balance_method, final, final_day),
        (takes_loan & delivered, "loan", "loan", loan_fen, disbursed),
        (paid_deposit & cancelled, "refund", deposit_method, deposit, refund_day),
    ]
    columns = {"order": [], "kind": [], "method": [], "amount": [], "day": []}
    for mask, kind, method, amount, day in parts:
        chosen = index[mask]
        columns["order"].append(chosen)
        columns["kind"].append(np.full(len(chosen), kind, dtype=object))
        columns["method"].append(
            method[chosen]
            if isinstance(method, np.ndarray)
            else np.full(len(chosen), method, dtype=object)
        )
        columns["amount"].append(amount[chosen].astype(np.int64))
        columns["day"].append(day[chosen].astype(np.int64))
    payments = {key: np.concatenate(value) for key, value in columns.items()}
    # Booked as they came in: by day, then order, then in kind order (a deposit first).
    rank = np.concatenate([np.full(len(c), i) for i, c in enumerate(columns["order"])])
    ordering = np.lexsort((rank, payments["order"], payments["day"]))
    payments = {key: value[ordering] for key, value in payments.items()}
    return {
        "payments": payments,
        "loan_fen": np.where(has_loan, loan_fen, 0),
        "loan_status": loan_status,
        "loan_applied": np.where(has_loan, applied, -1),
        "loan_approved": np.where(
            (loan_status == "approved") | (loan_status == "disbursed"), approved, -1
        ),
        "loan_disbursed": np.where(loan_status == "disbursed", disbursed, -1),
    }


# --- the group --------------------------------------------------------------------------------


class Generator:
    def __init__(
        self, scale: float, seed: int, today: dt.date | None = None, drop_indexes: bool = False
    ):
        from django.db import connection
        from django.utils import timezone

        self.scale = scale
        self.counts = counts_for(scale)
        self.rng = np.random.default_rng(seed)
        # Payments, trade-ins and loans draw from their own stream: adding them left every
        # other table exactly as the same seed made it before.
        self.money_rng = np.random.default_rng([seed, 1])
        self.now = timezone.now()
        self.today = today or timezone.localdate()
        self.first = dt.date(self.today.year - YEARS, self.today.month, 1)
        self.connection = connection
        self.writer = Writer(connection, self.now)
        self.timings: dict[str, float] = {}
        self.drop_indexes = drop_indexes and connection.vendor == "postgresql"
        self.dropped: list[str] = []

    def step(self, name, function):
        started = time.perf_counter()
        function()
        self.timings[name] = round(time.perf_counter() - started, 1)
        print(f"  {name:<12}{self.timings[name]:>8.1f} s", flush=True)

    def run(self) -> dict:
        from django.db import transaction

        from dealerplan.customers.models import Customer

        if Customer.objects.exists():
            raise SystemExit("The database already has customers: generate into an empty one.")
        c = self.counts
        print(
            f"generating scale {self.scale}: {c['customers']:,} customers, "
            f"{c['activities']:,} activities, {c['orders']:,} orders",
            flush=True,
        )
        started = time.perf_counter()
        with transaction.atomic():
            if self.drop_indexes:
                self.step("drop index", self.drop_secondary_indexes)
            self.step("org", self.org)
            self.step("catalog", self.catalog)
            self.step("customers", self.customers)
            self.step("deals", self.deals)
            self.step("vehicles", self.vehicles)
            self.step("orders", self.orders)
            self.step("payments", self.payments)
            self.step("plans", self.plans)
            self.step("traffic", self.traffic)
            self.step("activities", self.activities)
            self.step("sequences", self.reset_sequences)
            if self.drop_indexes:
                self.step("indexes", self.create_indexes)
        self.step("analyze", self.analyze)
        total = round(time.perf_counter() - started, 1)
        print(f"  {'total':<12}{total:>8.1f} s", flush=True)
        return {
            "scale": self.scale,
            "counts": self.writer.rows,
            "timings": self.timings,
            "total_s": total,
        }

    # -- people ----------------------------------------------------------------------------

    def org(self):
        from django.contrib.auth.hashers import make_password

        from dealerplan.core.choices import Role
        from dealerplan.org.models import Store, Team, User

        n_stores = self.counts["stores"]
        stores = Store.objects.bulk_create(
            Store(code=f"s{i + 1:02d}", name=f"基准{i + 1:02d}号店", city="北京")
            for i in range(n_stores)
        )
        teams = Team.objects.bulk_create(
            Team(store=store, name=name)
            for store in stores
            for name in ("销售一组", "销售二组", "销售三组")
        )
        password = make_password(PASSWORD)
        users = [
            User(
                username="bench_group",
                role=Role.GROUP_MANAGER,
                password=password,
                last_name="集团",
                first_name="经理",
            )
        ]
        per_store = np.full(n_stores, self.counts["consultants"] // n_stores)
        per_store[: self.counts["consultants"] % n_stores] += 1
        for index, store in enumerate(stores):
            for role, name in (
                (Role.GENERAL_MANAGER, "gm"),
                (Role.SALES_MANAGER, "sm"),
                (Role.SHOWROOM_MANAGER, "shm"),
            ):
                users.append(
                    User(
                        username=f"bench_{name}_{index + 1:02d}",
                        role=role,
                        store=store,
                        password=password,
                        last_name="经理",
                        first_name=f"{index + 1:02d}",
                    )
                )
            store_teams = teams[index * 3 : index * 3 + 3]
            for number in range(per_store[index]):
                users.append(
                    User(
                        username=f"bench_c_{index + 1:02d}_{number + 1:03d}",
                        role=Role.CONSULTANT,
                        store=store,
                        team=store_teams[number % 3],
                        password=password,
                        last_name="顾问",
                        first_name=f"{number + 1:03d}",
                    )
                )
        users = User.objects.bulk_create(users)
        consultants = [u for u in users if u.role == Role.CONSULTANT]
        self.stores = stores
        self.store_ids = np.array([s.pk for s in stores])
        self.consultant_ids = np.array([u.pk for u in consultants])
        self.consultant_store = np.array([u.store_id for u in consultants])
        # Zipf within each store, and store sizes skewed more gently.
        weights = np.empty(len(consultants))
        for index, store in enumerate(stores):
            mine = np.flatnonzero(self.consultant_store == store.pk)
            ranks = self.rng.permutation(len(mine)) + 1
            weights[mine] = ranks**-ZIPF / (index + 1) ** 0.3
        self.consultant_weight = weights / weights.sum()
        self.consultant_team = np.array([u.team_id for u in consultants])

    def catalog(self):
        from dealerplan.catalog.models import Brand, Color, Series, Trim
        from dealerplan.core.demo import data
        from dealerplan.deals.models import Pipeline, Stage

        # bulk_create throughout: fast, and no audit-trail rows for generated data.
        spec = data.OWN_BRAND
        (brand,) = Brand.objects.bulk_create([Brand(name=spec.name, name_en=spec.name_en)])
        trims, weights, series_of_trim, prices = [], [], [], []
        series_list = Series.objects.bulk_create(
            Series(brand=brand, name=s.name, body_type=s.body_type) for s in spec.series
        )
        self.series_ids = [series.pk for series in series_list]
        for series, series_spec in zip(series_list, spec.series, strict=True):
            made = Trim.objects.bulk_create(
                Trim(
                    series=series,
                    name=t.name,
                    model_year=self.today.year,
                    guide_price=t.guide_price,
                )
                for t in series_spec.trims
            )
            for trim, trim_spec in zip(made, series_spec.trims, strict=True):
                trims.append(trim.pk)
                weights.append(series_spec.weight * trim_spec.weight)
                series_of_trim.append(series.pk)
                prices.append(float(trim_spec.guide_price))
        colors = [
            color.pk
            for color in Color.objects.bulk_create(
                Color(brand=brand, name=c.name, code=c.code, hex_value=c.hex_value)
                for c in data.OWN_COLORS
            )
        ]
        self.trim_ids = np.array(trims)
        self.trim_p = np.array(weights) / sum(weights)
        self.trim_series = np.array(series_of_trim)
        self.trim_price = np.array(prices)
        self.color_ids = np.array(colors)
        self.color_p = np.array([c.weight for c in data.OWN_COLORS])
        self.color_p /= self.color_p.sum()
        self.stages = {}  # store id -> (retail pipeline, stage ids, won, lost, fleet ...)
        for store in self.stores:
            retail, fleet = Pipeline.objects.bulk_create(
                [
                    Pipeline(
                        store=store, name=data.RETAIL_PIPELINE, kind="retail", is_default=True
                    ),
                    Pipeline(store=store, name=data.FLEET_PIPELINE, kind="fleet"),
                ]
            )
            made = {}
            for pipeline, specs in ((retail, data.RETAIL_STAGES), (fleet, data.FLEET_STAGES)):
                made[pipeline.pk] = Stage.objects.bulk_create(
                    Stage(
                        pipeline=pipeline,
                        name=s.name,
                        position=i,
                        probability=s.probability,
                        follow_up_days=s.follow_up_days,
                        is_won=s.is_won,
                        is_lost=s.is_lost,
                    )
                    for i, s in enumerate(specs)
                )
            self.stages[store.pk] = (retail.pk, made[retail.pk], fleet.pk, made[fleet.pk])

    # -- customers ---------------------------------------------------------------------------

    def customers(self):
        from dealerplan.core.demo import data
        from dealerplan.core.pinyin import search_keys
        from dealerplan.customers.models import Customer

        rng, n = self.rng, self.counts["customers"]
        owner_index = rng.choice(len(self.consultant_ids), size=n, p=self.consultant_weight)
        self.customer_owner = self.consultant_ids[owner_index]
        self.customer_store = self.consultant_store[owner_index]
        days = seasonal_days(rng, n, self.first, self.today)
        created = moments(days, self.first, rng)
        self.customer_created_day = days
        surnames = pick(rng, data.SURNAMES, n)
        given_pool = np.array(data.GIVEN_MALE + data.GIVEN_FEMALE, dtype=object)
        first_pool = np.array(data.GIVEN_FIRST_MALE + data.GIVEN_FIRST_FEMALE, dtype=object)
        given = given_pool[rng.integers(0, len(given_pool), n)]
        two = rng.random(n) < 0.6
        names = [
            s + (f + g if t else g)
            for s, f, g, t in zip(
                surnames, first_pool[rng.integers(0, len(first_pool), n)], given, two, strict=True
            )
        ]
        kind = np.where(rng.random(n) < 0.04, "organization", "individual")
        org_names = np.array(
            [b + t + "有限公司" for b in data.ORG_BRANDS for t in data.ORG_TRADES], dtype=object
        )
        org_pick = org_names[rng.integers(0, len(org_names), n)]
        names = [
            o if k == "organization" else p for o, k, p in zip(org_pick, kind, names, strict=True)
        ]
        keys = functools.lru_cache(maxsize=None)(lambda name: search_keys(name)[:500])
        # Unique per store (globally, in fact): a bijection of the index onto 9 digits.
        index = np.arange(n, dtype=np.int64)
        tail = (index * 2654435761) % 1_000_000_000
        phones = [
            f"1{3 + p}{t:09d}" for p, t in zip((index % 7).tolist(), tail.tolist(), strict=True)
        ]
        levels = pick(rng, LEVELS, n)
        self.customer_level = levels
        open_lead = np.isin(levels, ["H", "A", "B", "C", "O"])
        follow_offset = rng.integers(-20, 30, n)
        follow = moments(
            np.full(n, (self.today - self.first).days) + follow_offset, self.first, rng
        )
        last_contact = moments(
            within(days, rng.integers(0, 200, n), (self.today - self.first).days),
            self.first,
            rng,
        )
        districts = [d.full_name for d in data.DISTRICTS]
        district = np.array(districts, dtype=object)[rng.integers(0, len(districts), n)]
        trim_pick = self.trim_ids[rng.choice(len(self.trim_ids), size=n, p=self.trim_p)]
        archived = rng.random(n) < 0.02
        budget = self.trim_price[rng.integers(0, len(self.trim_price), n)]
        created_list = to_datetimes(created)
        columns = {
            "id": index + 1,
            "store_id": self.customer_store,
            "owner_id": self.customer_owner,
            "kind": kind,
            "name": names,
            "gender": pick(rng, (("m", 0.55), ("f", 0.40), ("", 0.05)), n),
            "phone": phones,
            "wechat": [
                f"wx{i}" if w else ""
                for i, w in zip(index.tolist(), (rng.random(n) < 0.5).tolist(), strict=True)
            ],
            "source": pick(rng, SOURCES, n),
            "intention_level": levels,
            "account_tier": pick(rng, TIERS, n),
            "intended_trim_id": trim_pick,
            "budget": [
                v if b else None
                for v, b in zip(money(budget), (rng.random(n) < 0.5).tolist(), strict=True)
            ],
            "district": district,
            "address": [
                f"北京市{d}{rng_i}号"
                for d, rng_i in zip(
                    district.tolist(), rng.integers(1, 300, n).tolist(), strict=True
                )
            ],
            "next_follow_up_at": [
                v if o else None
                for v, o in zip(to_datetimes(follow), open_lead.tolist(), strict=True)
            ],
            "last_contact_at": to_datetimes(last_contact),
            "search_text": [keys(name) for name in names],
            "created_at": created_list,
            "updated_at": created_list,
            "is_archived": archived,
            "archived_at": [self.writer.now_naive if a else None for a in archived.tolist()],
        }
        for start in range(0, n, CHUNK):
            part = {
                k: (v[start : start + CHUNK] if isinstance(v, list | np.ndarray) else v)
                for k, v in columns.items()
            }
            self.writer.write(Customer, part, min(CHUNK, n - start))

    def _customers_for(self, n: int, levels=None) -> np.ndarray:
        """n customer indexes (0-based), optionally only of the given intention levels."""
        if levels is None:
            return self.rng.integers(0, self.counts["customers"], n)
        pool = np.flatnonzero(np.isin(self.customer_level, levels))
        return pool[self.rng.integers(0, len(pool), n)]

    # -- deals, stock, orders --------------------------------------------------------------

    def deals(self):
        from dealerplan.deals.models import Deal, StageChange

        rng, n = self.rng, self.counts["deals"]
        customer = self._customers_for(n)
        store = self.customer_store[customer]
        status = pick(rng, (("won", 0.45), ("lost", 0.25), ("open", 0.30)), n)
        span = (self.today - self.first).days
        days = seasonal_days(rng, n, self.first, self.today)
        # Open deals are recent.
        days = np.where(status == "open", np.maximum(days, span - rng.integers(0, 90, n)), days)
        fleet = rng.random(n) < 0.05
        pipeline, stage = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        for i in range(n):
            retail_id, retail, fleet_id, fleet_stages = self.stages[int(store[i])]
            pid, stages = (fleet_id, fleet_stages) if fleet[i] else (retail_id, retail)
            if status[i] == "won":
                chosen = next(s for s in stages if s.is_won)
            elif status[i] == "lost":
                chosen = next(s for s in stages if s.is_lost)
            else:
                open_stages = [s for s in stages if not s.is_won and not s.is_lost]
                chosen = open_stages[int(rng.integers(0, len(open_stages)))]
            pipeline[i], stage[i] = pid, chosen.pk
        trim = rng.choice(len(self.trim_ids), size=n, p=self.trim_p)
        units = np.where(fleet, rng.integers(2, 30, n), 1)
        created = moments(days, self.first, rng)
        created_list = to_datetimes(created)
        close = days + rng.integers(5, 60, n)
        is_open = status == "open"
        self.deal_customer, self.deal_status, self.deal_day = customer, status, days
        ids = np.arange(1, n + 1)
        self.writer.write(
            Deal,
            {
                "id": ids,
                "store_id": store,
                "owner_id": self.customer_owner[customer],
                "customer_id": customer + 1,
                "pipeline_id": pipeline,
                "stage_id": stage,
                "title": [
                    f"{'大客户' if f else '零售'}商机 {i}"
                    for i, f in zip(ids.tolist(), fleet.tolist(), strict=True)
                ],
                "status": status,
                "amount": money(self.trim_price[trim] * units),
                "units": units,
                "expected_close_date": to_dates(close, self.first),
                "contract_date": [
                    d if s == "won" else None
                    for d, s in zip(to_dates(close, self.first), status.tolist(), strict=True)
                ],
                "next_follow_up_at": [
                    v if o else None
                    for v, o in zip(
                        to_datetimes(
                            moments(np.full(n, span) + rng.integers(-10, 14, n), self.first, rng)
                        ),
                        is_open.tolist(),
                        strict=True,
                    )
                ],
                "last_contact_at": created_list,
                "created_at": created_list,
                "updated_at": created_list,
            },
            n,
        )
        self.writer.write(
            StageChange,
            {
                "id": ids,
                "deal_id": ids,
                "from_stage_id": None,
                "to_stage_id": stage,
                "changed_at": created_list,
                "changed_by_id": None,
            },
            n,
        )

    def vehicles(self):
        from dealerplan.inventory.models import Vehicle

        rng, n = self.rng, self.counts["vehicles"]
        n_sold = min(n * 5 // 6, self.counts["orders"])  # the newest orders have their car
        self.n_sold_vehicles = n_sold
        store = self.store_ids[rng.integers(0, len(self.store_ids), n)]
        trim = rng.choice(len(self.trim_ids), size=n, p=self.trim_p)
        self.vehicle_trim = trim
        color = self.color_ids[rng.choice(len(self.color_ids), size=n, p=self.color_p)]
        stock_status = pick(
            rng,
            (("in_stock", 0.65), ("in_transit", 0.15), ("ordered", 0.12), ("reserved", 0.08)),
            n - n_sold,
        )
        status = np.concatenate([np.full(n_sold, "delivered", dtype=object), stock_status])
        arrival_offsets = np.concatenate(
            [
                np.zeros(n_sold, dtype=np.int64),  # set from the order below
                rng.integers(0, 150, n - n_sold),
            ]
        )
        arrival = [
            None if s in ("in_transit", "ordered") else self.today - dt.timedelta(days=int(a))
            for s, a in zip(status.tolist(), arrival_offsets.tolist(), strict=True)
        ]
        self.vehicle_store, self.vehicle_color, self.vehicle_status = store, color, status
        self.vehicle_arrival = arrival
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        self.writer.write(
            Vehicle,
            {
                "id": np.arange(1, n + 1),
                "vin": [
                    f"LFV{letters[t % 23]}A{t % 10}E2X{letters[i % 23]}C{i:06d}"[:17]
                    for t, i in zip(trim.tolist(), range(n), strict=True)
                ],
                "store_id": store,
                "trim_id": self.trim_ids[trim],
                "color_id": color,
                "status": status,
                "arrival_date": arrival,
                "cost": money(self.trim_price[trim] * 0.9),
                "location": "",
                "created_at": self.writer.now_naive,
                "updated_at": self.writer.now_naive,
            },
            n,
        )

    def orders(self):
        from dealerplan.orders.models import SalesOrder

        rng, n = self.rng, self.counts["orders"]
        won = np.flatnonzero(self.deal_status == "won")[:n]
        n_deal = len(won)
        customer = np.concatenate(
            [self.deal_customer[won], self._customers_for(n - n_deal, ["O", "D"])]
        )
        deal_id = [int(d) + 1 for d in won] + [None] * (n - n_deal)
        days = np.concatenate(
            [
                within(
                    self.deal_day[won], rng.integers(0, 20, n_deal), (self.today - self.first).days
                ),
                seasonal_days(rng, n - n_deal, self.first, self.today),
            ]
        )
        store = self.customer_store[customer]
        consultant = self.customer_owner[customer]
        # The newest orders get the sold vehicles, store and trim taken from the car.
        newest = np.argsort(-days, kind="stable")[: self.n_sold_vehicles]
        vehicle = np.full(n, -1)
        vehicle[newest] = np.arange(self.n_sold_vehicles)
        trim = rng.choice(len(self.trim_ids), size=n, p=self.trim_p)
        color = self.color_ids[rng.choice(len(self.color_ids), size=n, p=self.color_p)]
        has_vehicle = vehicle >= 0
        trim[has_vehicle] = self.vehicle_trim[vehicle[has_vehicle]]
        color[has_vehicle] = self.vehicle_color[vehicle[has_vehicle]]
        # A car stays in its customer's store: move the car, not the order.
        if self.n_sold_vehicles:
            from dealerplan.inventory.models import Vehicle

            pairs = [
                (
                    int(vehicle[i]) + 1,
                    int(store[i]),
                    self.first + dt.timedelta(days=int(days[i]) - 10),
                )
                for i in newest
            ]
            with self.connection.cursor() as cursor:
                table = Vehicle._meta.db_table
                cursor.execute(
                    "CREATE TEMPORARY TABLE bench_vehicle_store (id bigint, store bigint, "
                    "arrival date)"
                )
                cursor.executemany("INSERT INTO bench_vehicle_store VALUES (%s, %s, %s)", pairs)
                cursor.execute(
                    f"UPDATE {table} SET store_id = b.store, arrival_date = b.arrival "  # noqa: S608
                    f"FROM bench_vehicle_store b WHERE {table}.id = b.id"
                    if self.connection.vendor == "postgresql"
                    else f"UPDATE {table} SET store_id = (SELECT store FROM bench_vehicle_store b "  # noqa: S608
                    f"WHERE b.id = {table}.id), arrival_date = (SELECT arrival FROM "
                    f"bench_vehicle_store b WHERE b.id = {table}.id) WHERE id IN "
                    f"(SELECT id FROM bench_vehicle_store)"
                )
                cursor.execute("DROP TABLE bench_vehicle_store")
        span = (self.today - self.first).days
        age = span - days
        status = np.where(
            age > 45,
            "delivered",
            pick(
                rng, (("draft", 0.1), ("confirmed", 0.4), ("allocated", 0.2), ("delivered", 0.3)), n
            ),
        )
        status = np.where(rng.random(n) < 0.04, "cancelled", status)
        status = np.where(has_vehicle & (status == "cancelled"), "delivered", status)
        price = self.trim_price[trim]
        discount = np.round(price * rng.uniform(0.02, 0.10, n), -2)
        accessories = np.round(rng.uniform(0, 8000, n), -2) * (rng.random(n) < 0.6)
        total = price - discount + accessories
        profit = np.round(price * rng.uniform(-0.02, 0.05, n) + accessories * 0.4, 2)
        shared = rng.random(n) < 0.03
        co = np.array(
            [
                int(self.consultant_ids[self.consultant_store == s][0]) if sh else 0
                for s, sh in zip(store.tolist(), shared.tolist(), strict=True)
            ]
        )
        co_valid = shared & (co != consultant)
        ids = np.arange(1, n + 1)
        delivered = status == "delivered"
        order_dates = to_dates(days, self.first)
        self.order_store, self.order_consultant, self.order_days = store, consultant, days
        self.order_total, self.order_status = total, status
        financing = np.where(rng.random(n) < 0.4, "loan", "cash")
        total_fen = np.round(total * 100).astype(np.int64)
        trade_in = trade_ins(self.money_rng, total_fen)
        delivery_days = np.minimum(days + 14, span)
        self.money = plan_payments(
            self.money_rng,
            status=status,
            financing=financing,
            due_fen=total_fen - trade_in,
            order_day=days,
            delivery_day=delivery_days,
            today_day=span,
        )
        loan_status = self.money["loan_status"]
        has_loan = loan_status != ""
        lender = np.array(LENDERS, dtype=object)[self.money_rng.integers(0, len(LENDERS), n)]
        cars = np.array(TRADE_IN_CARS, dtype=object)[
            self.money_rng.integers(0, len(TRADE_IN_CARS), n)
        ]
        car_years = self.money_rng.integers(self.today.year - 12, self.today.year - 3, n)

        def loan_day(key):
            offsets = self.money[key]
            return [
                self.first + dt.timedelta(days=int(d)) if d >= 0 else None for d in offsets.tolist()
            ]

        self.writer.write(
            SalesOrder,
            {
                "id": ids,
                "number": [f"SO{i:09d}" for i in ids.tolist()],
                "store_id": store,
                "customer_id": customer + 1,
                "consultant_id": consultant,
                "deal_id": deal_id,
                "trim_id": self.trim_ids[trim],
                "color_id": color,
                "vehicle_id": [int(v) + 1 if v >= 0 else None for v in vehicle.tolist()],
                "status": status,
                "order_date": order_dates,
                "delivery_date": to_dates(delivery_days, self.first),
                "vehicle_price": money(price),
                "discount": money(discount),
                "accessories_amount": money(accessories),
                "total": money(total),
                "gross_profit": money(profit),
                "financing": financing,
                "trade_in_value": fen_to_money(trade_in),
                "trade_in_vehicle": [
                    f"{car} {year}款" if value else ""
                    for car, year, value in zip(
                        cars.tolist(), car_years.tolist(), trade_in.tolist(), strict=True
                    )
                ],
                "loan_status": loan_status,
                "loan_lender": np.where(has_loan, lender, ""),
                "loan_amount": [
                    v if h else None
                    for v, h in zip(
                        fen_to_money(self.money["loan_fen"]), has_loan.tolist(), strict=True
                    )
                ],
                "loan_applied_on": loan_day("loan_applied"),
                "loan_approved_on": loan_day("loan_approved"),
                "loan_disbursed_on": loan_day("loan_disbursed"),
                "co_consultant_id": [
                    int(c) if v else None
                    for c, v in zip(co.tolist(), co_valid.tolist(), strict=True)
                ],
                "co_share": [Decimal("0.50") if v else Decimal("0") for v in co_valid.tolist()],
                "plate_number": [
                    plate_of(i) if d else ""
                    for i, d in zip(ids.tolist(), delivered.tolist(), strict=True)
                ],
                "created_at": to_datetimes(moments(days, self.first, rng)),
                "updated_at": self.writer.now_naive,
            },
            n,
        )

    def payments(self):
        """定金, 首付, 尾款, 贷款 and 退款 of the orders, as ``plan_payments`` laid them out."""
        from dealerplan.orders.models import Payment

        planned = self.money["payments"]
        n = len(planned["order"])
        self.writer.write(
            Payment,
            {
                "id": np.arange(1, n + 1),
                "order_id": planned["order"] + 1,
                "kind": planned["kind"],
                "method": planned["method"],
                "amount": fen_to_money(planned["amount"]),
                "received_on": to_dates(planned["day"], self.first),
                "reference": "",
                "notes": "",
                "created_at": to_datetimes(moments(planned["day"], self.first, self.money_rng)),
                "updated_at": self.writer.now_naive,
            },
            n,
        )

    # -- plans -------------------------------------------------------------------------------

    def plans(self):
        """Store and consultant month plans for every month, quota near what was sold."""
        from dealerplan.planning.models import Plan, PlanLine

        months = []
        month = self.first
        last = dt.date(self.today.year + (self.today.month == 12), self.today.month % 12 + 1, 1)
        while month <= last:
            months.append(month)
            month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        span_months = len(months) - 1
        per_month = self.counts["orders"] / span_months
        mean_price = float(np.mean(self.order_total))
        plan_cols = {
            k: []
            for k in (
                "id",
                "store_id",
                "period_type",
                "period_start",
                "period_end",
                "scope",
                "consultant_id",
                "parent_id",
                "status",
            )
        }
        line_cols = {k: [] for k in ("plan_id", "metric", "series_id", "quota", "goal")}
        plan_id = 0
        store_weight = {int(s): 0.0 for s in self.store_ids}
        for s, w in zip(
            self.consultant_store.tolist(), self.consultant_weight.tolist(), strict=True
        ):
            store_weight[s] += w

        def add_plan(store, month, scope, consultant, parent):
            nonlocal plan_id
            plan_id += 1
            end = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            for key, value in (
                ("id", plan_id),
                ("store_id", store),
                ("period_type", "month"),
                ("period_start", month),
                ("period_end", end - dt.timedelta(1)),
                ("scope", scope),
                ("consultant_id", consultant),
                ("parent_id", parent),
                ("status", "approved"),
            ):
                plan_cols[key].append(value)
            return plan_id

        def add_lines(plan, units, series_split):
            for metric, amount in (
                ("units", units),
                ("revenue", units * mean_price),
                ("gross_profit", units * mean_price * 0.03),
            ):
                quota = Decimal(round(amount)) if metric == "units" else Decimal(round(amount, 2))
                for key, value in (
                    ("plan_id", plan),
                    ("metric", metric),
                    ("series_id", None),
                    ("quota", quota),
                    ("goal", (quota * Decimal("1.2")).quantize(Decimal("0.01"))),
                ):
                    line_cols[key].append(value)
                if series_split and metric == "units":
                    for series_id in self.series_ids[:3]:
                        part = Decimal(round(float(amount) / 3))
                        for key, value in (
                            ("plan_id", plan),
                            ("metric", metric),
                            ("series_id", series_id),
                            ("quota", part),
                            ("goal", part + 1),
                        ):
                            line_cols[key].append(value)

        for month in months:
            factor = SEASON[month.month - 1] / SEASON.mean()
            for store in self.store_ids.tolist():
                parent = add_plan(store, month, "store", None, None)
                add_lines(parent, per_month * factor * store_weight[store], False)
                mine = np.flatnonzero(self.consultant_store == store)
                for index in mine.tolist():
                    plan = add_plan(
                        store, month, "consultant", int(self.consultant_ids[index]), parent
                    )
                    add_lines(plan, per_month * factor * self.consultant_weight[index], True)
        self.writer.write(
            Plan,
            {**plan_cols, "created_at": self.writer.now_naive, "updated_at": self.writer.now_naive},
            plan_id,
        )
        n_lines = len(line_cols["plan_id"])
        self.writer.write(
            PlanLine,
            {
                **line_cols,
                "id": list(range(1, n_lines + 1)),
                "created_at": self.writer.now_naive,
                "updated_at": self.writer.now_naive,
            },
            n_lines,
        )

    # -- traffic and activities --------------------------------------------------------------

    def traffic(self):
        from dealerplan.activities.models import TrafficEntry

        rng, n = self.rng, self.counts["traffic"]
        linked = rng.random(n) < 0.6
        customer = self._customers_for(n)
        consultant_index = rng.choice(len(self.consultant_ids), size=n, p=self.consultant_weight)
        store = np.where(
            linked, self.customer_store[customer], self.consultant_store[consultant_index]
        )
        consultant = np.where(
            linked, self.customer_owner[customer], self.consultant_ids[consultant_index]
        )
        days = seasonal_days(rng, n, self.first, self.today)
        arrived = moments(days, self.first, rng, 9, 18)
        left = arrived + rng.integers(10 * 60, 120 * 60, n).astype("timedelta64[s]")
        kind = pick(rng, (("walk_in", 0.7), ("call_in", 0.2), ("online", 0.1)), n)
        response = arrived + rng.integers(60, 3600, n).astype("timedelta64[s]")
        for start in range(0, n, CHUNK):
            end = min(n, start + CHUNK)
            s = slice(start, end)
            m = end - start
            self.writer.write(
                TrafficEntry,
                {
                    "id": np.arange(start + 1, end + 1),
                    "store_id": store[s],
                    "kind": kind[s],
                    "consultant_id": consultant[s],
                    "customer_id": [
                        int(c) + 1 if li else None
                        for c, li in zip(customer[s].tolist(), linked[s].tolist(), strict=True)
                    ],
                    "arrived_at": to_datetimes(arrived[s]),
                    "left_at": [
                        v if k == "walk_in" else None
                        for v, k in zip(to_datetimes(left[s]), kind[s].tolist(), strict=True)
                    ],
                    "party_size": rng.integers(1, 4, m),
                    "visit_type": np.where(rng.random(m) < 0.7, "F", "S"),
                    "series_id": np.array(self.series_ids)[
                        rng.integers(0, len(self.series_ids), m)
                    ],
                    "channel": pick(rng, SOURCES[:3], m),
                    "test_drive": rng.random(m) < 0.3,
                    "wechat_added": rng.random(m) < 0.5,
                    "visitor_name": "",
                    "visitor_phone": "",
                    "first_response_at": [
                        v if k != "walk_in" else None
                        for v, k in zip(to_datetimes(response[s]), kind[s].tolist(), strict=True)
                    ],
                    "created_at": to_datetimes(arrived[s]),
                    "updated_at": to_datetimes(arrived[s]),
                },
                m,
            )

    def activities(self):
        from dealerplan.activities.models import Activity

        rng, n = self.rng, self.counts["activities"]
        span = (self.today - self.first).days
        kinds = pick(rng, ACTIVITY_KINDS, n)
        status = pick(rng, (("done", 0.92), ("planned", 0.06), ("cancelled", 0.02)), n)
        notes = np.array(ACTIVITY_NOTES, dtype=object)
        outcomes = np.array(OUTCOMES, dtype=object)
        for start in range(0, n, CHUNK):
            end = min(n, start + CHUNK)
            m = end - start
            customer = self._customers_for(m)
            st = status[start:end]
            planned = st == "planned"
            # Done activities follow the customer's first contact; planned ones lie around today.
            created_day = self.customer_created_day[customer]
            done_day = within(created_day, rng.geometric(0.02, m) - 1, span)
            planned_day = span + rng.integers(-7, 21, m)
            day = np.where(planned, planned_day, done_day)
            when = moments(day, self.first, rng)
            done = st == "done"
            is_done = done.tolist()
            nat = np.datetime64("NaT")
            kind = kinds[start:end]
            self.writer.write(
                Activity,
                {
                    "id": np.arange(start + 1, end + 1),
                    "store_id": self.customer_store[customer],
                    "customer_id": customer + 1,
                    "owner_id": self.customer_owner[customer],
                    "kind": kind,
                    "status": st,
                    "planned_at": np.where(done, nat, when),
                    "done_at": np.where(done, when, nat),
                    "duration_minutes": [
                        int(x) if d else None
                        for x, d in zip(rng.integers(2, 60, m).tolist(), is_done, strict=True)
                    ],
                    "outcome": [
                        o if d else ""
                        for o, d in zip(
                            outcomes[rng.integers(0, len(outcomes), m)].tolist(),
                            is_done,
                            strict=True,
                        )
                    ],
                    "notes": notes[rng.integers(0, len(notes), m)],
                    "is_important": rng.random(m) < 0.01,
                    "created_at": when,
                    "updated_at": when,
                },
                m,
            )

    # -- finishing ---------------------------------------------------------------------------

    BIG_TABLES = (
        "customers_customer",
        "activities_activity",
        "activities_trafficentry",
        "deals_deal",
        "orders_salesorder",
        "orders_payment",
    )

    def drop_secondary_indexes(self):
        """--drop-indexes: non-unique indexes of the big tables go, and FK triggers are off."""
        with self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
                "JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
                "WHERE t.relname = ANY(%s) AND NOT ix.indisunique AND NOT ix.indisprimary",
                [list(self.BIG_TABLES)],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                self.dropped.append(definition)

    def create_indexes(self):
        with self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for definition in self.dropped:
                cursor.execute(definition)
            cursor.execute("SET LOCAL session_replication_role = origin")

    def reset_sequences(self):
        from django.apps import apps
        from django.core.management.color import no_style

        if self.connection.vendor != "postgresql":
            return  # SQLite continues after the largest id by itself
        models = [m for m in apps.get_models() if m._meta.label in self.writer.rows]
        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)

    def analyze(self):
        """Statistics, and on PostgreSQL a vacuum: a database in service is vacuumed by
        autovacuum, and only then can counts be answered from an index alone."""
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql" and not self.connection.in_atomic_block:
                cursor.execute("VACUUM (ANALYZE)")
            else:
                cursor.execute("ANALYZE")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = full, 0.05 = quick")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--migrate", action="store_true", help="run migrate first")
    parser.add_argument(
        "--drop-indexes",
        action="store_true",
        help="PostgreSQL: drop the big tables' secondary indexes and skip FK checks while loading",
    )
    parser.add_argument("--json", type=Path, help="write counts and timings here")
    args = parser.parse_args(argv)
    setup_django()
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    result = Generator(args.scale, args.seed, drop_indexes=args.drop_indexes).run()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
