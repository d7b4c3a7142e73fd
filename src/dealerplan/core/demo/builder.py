"""Build a believable, deterministic demo data set: dealerships with a year of history.

Everything random comes from one ``random.Random(seed)`` passed around (later additions draw
from their own generators derived from the seed, so the older rows stay as they were), and
every date is derived from ``today`` (the snapshot is taken at noon of that day,
Asia/Shanghai), so the same seed and ``today`` always produce the same rows. Rows are planned
in memory and written with ``bulk_create``; the plans go through the planning services, as a
sales manager's would. No history records are kept for demo rows.

Entry point: :func:`build_demo` (the ``seed_demo`` management command is a thin wrapper).
The caller is responsible for the transaction.
"""

from __future__ import annotations

import bisect
import calendar
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import F
from django.db.models.functions import Coalesce

from dealerplan.activities.choices import (
    ActivityKind,
    ActivityStatus,
    Outcome,
    TrafficKind,
    VisitType,
)
from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.catalog.models import Brand, Color, Series, Trim
from dealerplan.core.choices import Role
from dealerplan.core.phone import normalize_phone
from dealerplan.core.vin import build_vin, validate_vin
from dealerplan.customers import pool
from dealerplan.customers.choices import (
    AccountTier,
    CustomerKind,
    Gender,
    SourceChannel,
)
from dealerplan.customers.models import Contact, Customer, LevelChange
from dealerplan.deals.choices import DealStatus, PipelineKind
from dealerplan.deals.models import Deal, Pipeline, Stage, StageChange
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import Vehicle
from dealerplan.orders.choices import (
    FinancingKind,
    LoanStatus,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
)
from dealerplan.orders.models import AccessoryLine, Payment, SalesOrder
from dealerplan.orders.services import compose_gross_profit
from dealerplan.org.models import Store, Team, User
from dealerplan.planning import services as plan_services
from dealerplan.planning.breakdown import months_of
from dealerplan.planning.choices import Metric
from dealerplan.planning.funnel import SHOW_WINDOW
from dealerplan.planning.models import Plan, PlanLine
from dealerplan.planning.workdays import workdays_in_month

from . import data

__all__ = [
    "SIZES",
    "TZ",
    "DemoBuilder",
    "DemoDataError",
    "DemoLogin",
    "DemoResult",
    "DemoSize",
    "build_demo",
    "database_has_data",
    "default_today",
]

TZ = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
BATCH_SIZE = 1000

#: Calls a consultant is expected to make per working day.
CALL_QUOTA = 30
#: Follow-up interval in days per intention level (D and F are not followed up).
FOLLOW_UP_DAYS = {"H": 2, "A": 7, "B": 14, "C": 30, "O": 7}
LEVEL_SHARES = {"H": 0.05, "A": 0.12, "B": 0.25, "C": 0.18, "O": 0.05, "D": 0.30, "F": 0.05}
#: Done activities and traffic cover this many days up to today.
HISTORY_DAYS = 365
#: Customers were created over this many days.
CUSTOMER_DAYS = 730
#: Planned activities reach this many days ahead.
PLANNED_DAYS = 14
#: The demo is a snapshot taken at this local time of ``today``.
SNAPSHOT = time(12, 0)
#: Days before today in which consultants work close to their call quota.
PLATEAU_DAYS = 10
#: At most this many activities with one customer on one day.
MAX_PER_DAY = 2
#: Visits a consultant is expected to make per week (每周至少拜访20位客户).
VISIT_QUOTA = 20
#: Share of phone appointments (邀约) the customer comes in for.
APPOINTMENT_SHOW_RATE = 0.6
#: A goal (目标) is this much of its quota (任务).
GOAL_FACTOR = Decimal("1.25")

ORDER_SEASON = {1: 0.90, 2: 0.80, 3: 1.10, 4: 1.15, 5: 1.10, 6: 0.95, 7: 0.88, 8: 0.90,
                9: 1.10, 10: 1.12, 11: 1.08, 12: 1.20}  # fmt: skip
ACTIVITY_SEASON = {1: 0.90, 2: 0.75, 3: 1.10, 4: 1.12, 5: 1.08, 6: 0.95, 7: 0.90, 8: 0.92,
                   9: 1.08, 10: 1.02, 11: 1.08, 12: 1.12}  # fmt: skip
#: Activity volume per weekday (Monday first); calls are a weekday business.
ACTIVITY_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.65)
CALL_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.55)
#: Showroom traffic per weekday: weekends are busy.
TRAFFIC_WEEKDAY = (0.85, 0.8, 0.8, 0.85, 1.0, 1.8, 1.6)

#: Time windows per kind of moment, in minutes after midnight: (start, end, weight).
WINDOWS: dict[str, tuple[tuple[int, int, float], ...]] = {
    ActivityKind.CALL: ((9 * 60, 12 * 60, 0.75), (14 * 60, 18 * 60, 0.25)),
    ActivityKind.VISIT: ((14 * 60, 17 * 60 + 30, 0.85), (9 * 60 + 30, 11 * 60 + 30, 0.15)),
    ActivityKind.RECEPTION: ((9 * 60, 12 * 60, 0.4), (13 * 60, 18 * 60, 0.6)),
    ActivityKind.TEST_DRIVE: ((10 * 60, 12 * 60, 0.35), (13 * 60 + 30, 17 * 60, 0.65)),
    ActivityKind.MESSAGE: ((8 * 60, 22 * 60, 1.0),),
    "walk_in": ((9 * 60, 12 * 60, 0.4), (12 * 60, 18 * 60, 0.6)),
    "call_in": ((9 * 60, 20 * 60, 1.0),),
    "online": ((7 * 60, 23 * 60 + 30, 1.0),),
    "office": ((9 * 60, 18 * 60, 1.0),),
}
SOURCE_WINDOW = {
    SourceChannel.WALK_IN: "walk_in",
    SourceChannel.PHONE_IN: "call_in",
    SourceChannel.ONLINE: "online",
}
INDIVIDUAL_SOURCES = (
    (SourceChannel.WALK_IN, 30), (SourceChannel.PHONE_IN, 12), (SourceChannel.ONLINE, 28),
    (SourceChannel.REFERRAL, 12), (SourceChannel.EVENT, 6), (SourceChannel.OUTBOUND, 7),
    (SourceChannel.OTHER, 5),
)  # fmt: skip
ORGANIZATION_SOURCES = (
    (SourceChannel.FLEET, 45), (SourceChannel.REFERRAL, 20), (SourceChannel.OUTBOUND, 20),
    (SourceChannel.WALK_IN, 10), (SourceChannel.EVENT, 5),
)  # fmt: skip
OUTCOMES = {
    ActivityKind.CALL: ((Outcome.REACHED, 40), (Outcome.NO_ANSWER, 28),
                        (Outcome.APPOINTMENT, 14), (Outcome.QUOTED, 6),
                        (Outcome.NOT_INTERESTED, 5), (Outcome.OTHER, 7)),
    ActivityKind.VISIT: ((Outcome.REACHED, 60), (Outcome.QUOTED, 25), (Outcome.APPOINTMENT, 15)),
    ActivityKind.RECEPTION: ((Outcome.REACHED, 40), (Outcome.QUOTED, 35),
                             (Outcome.APPOINTMENT, 20), (Outcome.OTHER, 5)),
    ActivityKind.TEST_DRIVE: ((Outcome.REACHED, 40), (Outcome.QUOTED, 40),
                              (Outcome.APPOINTMENT, 20)),
    ActivityKind.MESSAGE: ((Outcome.REACHED, 50), (Outcome.OTHER, 50)),
}  # fmt: skip
NOTES = {
    ActivityKind.CALL: data.CALL_NOTES,
    ActivityKind.VISIT: data.VISIT_NOTES,
    ActivityKind.RECEPTION: data.RECEPTION_NOTES,
    ActivityKind.TEST_DRIVE: data.TEST_DRIVE_NOTES,
    ActivityKind.MESSAGE: data.MESSAGE_NOTES,
}
#: Kinds of the non-call activities on weekdays and at weekends.
OTHER_KINDS_WEEKDAY = ((ActivityKind.MESSAGE, 45), (ActivityKind.RECEPTION, 25),
                       (ActivityKind.TEST_DRIVE, 12), (ActivityKind.VISIT, 18))  # fmt: skip
OTHER_KINDS_WEEKEND = ((ActivityKind.MESSAGE, 20), (ActivityKind.RECEPTION, 45),
                       (ActivityKind.TEST_DRIVE, 30), (ActivityKind.VISIT, 5))  # fmt: skip
#: Non-call activities per call.
OTHER_PER_CALL_WEEKDAY = 0.45
OTHER_PER_CALL_WEEKEND = 1.3

STAFF = (
    ("gm", Role.GENERAL_MANAGER, True),
    ("sales_manager", Role.SALES_MANAGER, True),
    ("showroom_manager", Role.SHOWROOM_MANAGER, False),
    ("finance", Role.FINANCE, False),
    ("marketing", Role.MARKETING, False),
)
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 1980 (and 2010) is A, 30-year cycle
PLANT_CITIES = {"C": "长春", "D": "成都", "F": "佛山", "T": "天津"}


REPEAT_SHARE = 0.35
#: Why consultants gave leads back to the public pool (公海).
POOL_REASONS_COLD = (
    "多次电话未接通，微信未回复",
    "客户表示近半年不考虑购车",
    "客户已调往外地工作",
    "预算不足，暂缓购车",
)
POOL_REASONS_LOST = (
    "战败：客户已购买竞品",
    "战败：价格未谈拢",
    "战败：家人决定购买二手车",
)


class DemoDataError(Exception):
    """The demo data cannot be created (for example, the store already exists)."""


@dataclass(frozen=True)
class DemoSize:
    name: str
    stores: int
    consultants: int  # per store; everything below is per store too
    customers: int
    activities: int  # done activities over the last year (planned ones come on top)
    traffic: int
    vehicles: int
    order_months: int
    orders_per_month: int  # an average month; the season moves it
    deals: int


SIZES = {
    "tiny": DemoSize("tiny", 1, 3, 60, 400, 90, 30, 3, 6, 12),
    "small": DemoSize("small", 1, 10, 2000, 20000, 3000, 300, 24, 48, 300),
    "medium": DemoSize("medium", 2, 10, 2000, 20000, 3000, 300, 12, 48, 300),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_display: str
    store_code: str
    password: str


@dataclass
class DemoResult:
    size: str
    seed: int
    today: date
    counts: dict[str, int]
    logins: list[DemoLogin]
    store_codes: list[str]


def default_today() -> date:
    """Today in Asia/Shanghai."""
    return datetime.now(TZ).date()


def database_has_data() -> bool:
    return Store.objects.exists()


def build_demo(
    *,
    size: str | DemoSize = "small",
    seed: int = 1,
    today: date | None = None,
    password: str | None = None,
) -> DemoResult:
    """Create the demo data set; run it inside ``transaction.atomic``."""
    return DemoBuilder(size=size, seed=seed, today=today, password=password).build()


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_money(value: Decimal, step: int) -> Decimal:
    """Round to a multiple of ``step`` yuan (``step=100``: whole hundreds)."""
    units = (Decimal(value) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return money(units * step)


def scale(value: Decimal, factor: float, step: int = 100) -> Decimal:
    return round_money(Decimal(value) * Decimal(f"{factor:.4f}"), step)


def vin_year_code(year: int) -> str:
    return VIN_YEAR_CODES[(year - 1980) % 30]


def _goal(quota: int) -> int:
    """The goal (目标) for a whole-number quota: a quarter more, rounded half up."""
    return int((quota * GOAL_FACTOR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class _Picker:
    """Weighted choice with precomputed cumulative weights (fast and deterministic)."""

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = [item for item, _weight in pairs]
        self.cum = []
        total = 0.0
        for _item, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random):
        index = bisect.bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


@dataclass
class _TrimInfo:
    obj: Trim
    spec: data.TrimSpec
    series_spec: data.SeriesSpec
    series: Series

    @property
    def guide(self) -> Decimal:
        return self.obj.guide_price

    @property
    def label(self) -> str:
        return f"{self.series.name} {self.obj.name}"


@dataclass
class _Catalog:
    brand: Brand
    trims: list[_TrimInfo]
    colors: list[Color]
    series: list[Series]
    competitor_trims: list[Trim]
    competitor_labels: list[str]
    pick_trim: _Picker
    pick_color: _Picker
    pick_series: _Picker
    brand_wmi: str
    #: Our own trims by primary key (competitor trims are not in it).
    own_by_pk: dict[int, _TrimInfo]


@dataclass(slots=True)
class _Event:
    when: datetime
    kind: str
    outcome: str
    notes: str
    next_step: str = ""


@dataclass(eq=False)
class _OrderPlan:
    order_date: date
    at: datetime
    status: str
    trim: _TrimInfo
    color: Color
    financing: str
    cost_factor: float
    delivery_date: date | None = None
    cancelled_on: date | None = None
    lead: _Lead | None = None
    vehicle: Vehicle | None = None
    paid_in_full: bool = False
    vehicle_price: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    accessories: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    deal: Deal | None = None
    obj: SalesOrder | None = None
    lines: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    trade_in: Decimal = Decimal("0")
    loan_amount: Decimal | None = None
    loan_paid_on: date | None = None


@dataclass(eq=False)
class _Lead:
    obj: Customer
    owner_index: int
    level: str
    is_org: bool
    is_new: bool = False
    orders: list[_OrderPlan] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    created_ts: float = 0.0
    last_ts: float | None = None

    @property
    def active_orders(self) -> list[_OrderPlan]:
        return [o for o in self.orders if o.status != OrderStatus.CANCELLED]


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------


class DemoBuilder:
    """Holds what all stores of one run share: the random generator, catalogue, used numbers."""

    def __init__(
        self,
        *,
        size: str | DemoSize = "small",
        seed: int = 1,
        today: date | None = None,
        password: str | None = None,
    ):
        if isinstance(size, str):
            try:
                size = SIZES[size]
            except KeyError:
                choices = ", ".join(SIZES)
                raise ValueError(f"unknown demo size {size!r}; choose from {choices}") from None
        self.size = size
        self.seed = seed
        self.today = today or default_today()
        self.now = datetime.combine(self.today, SNAPSHOT, tzinfo=TZ)
        self.password = password or settings.DEALERPLAN_DEMO_PASSWORD
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.logins: list[DemoLogin] = []
        self.phones: set[str] = set()
        self.vins: set[str] = set()
        self._clip_cache: dict[tuple[str, str], tuple[tuple[int, int, float], ...]] = {}
        self._surname = _Picker(data.SURNAMES)
        self._mobile_prefix = _Picker(data.MOBILE_PREFIXES)

    # -- public -------------------------------------------------------------------------------

    def build(self) -> DemoResult:
        specs = data.STORES[: self.size.stores]
        self._check_free(specs)
        self.password_hash = make_password(self.password)
        self.vins.update(Vehicle.objects.values_list("vin", flat=True))
        self.phones.update(User.objects.exclude(phone="").values_list("phone", flat=True))
        self.catalog = self._build_catalog()
        for index, spec in enumerate(specs):
            _StoreBuilder(self, spec, index).build()
        order = (
            "stores",
            "teams",
            "users",
            "brands",
            "series",
            "trims",
            "colours",
            "customers",
            "contacts",
            "pipelines",
            "stages",
            "deals",
            "vehicles",
            "stage changes",
            "sales orders",
            "accessory lines",
            "payments",
            "activities (done)",
            "activities (planned)",
            "traffic entries",
            "plans",
            "plan lines",
            "pool customers",
        )
        counts = {label: self.counts[label] for label in order}
        return DemoResult(
            size=self.size.name,
            seed=self.seed,
            today=self.today,
            counts=counts,
            logins=list(self.logins),
            store_codes=[spec.code for spec in specs],
        )

    # -- shared helpers -----------------------------------------------------------------------

    def _check_free(self, specs) -> None:
        codes = [spec.code for spec in specs]
        taken = list(Store.objects.filter(code__in=codes).values_list("code", flat=True))
        if taken:
            raise DemoDataError(f"store(s) {', '.join(sorted(taken))} already exist")
        usernames = [name for index in range(len(specs)) for name in self.usernames(index)]
        taken = list(User.objects.filter(username__in=usernames).values_list("username", flat=True))
        if taken:
            raise DemoDataError(f"user(s) {', '.join(sorted(taken)[:5])} already exist")

    def usernames(self, store_index: int) -> list[str]:
        suffix = "" if store_index == 0 else f"_{store_index + 1}"
        names = [f"{name}{suffix}" for name, _role, _staff in STAFF]
        names += [f"consultant{i:02d}{suffix}" for i in range(1, self.size.consultants + 1)]
        return names

    def person_name(self, gender: str, surname: str | None = None) -> tuple[str, str]:
        """(family name, given name) of one or two characters."""
        rng = self.rng
        surname = surname or self._surname(rng)
        singles = data.GIVEN_MALE if gender == Gender.MALE else data.GIVEN_FEMALE
        firsts = data.GIVEN_FIRST_MALE if gender == Gender.MALE else data.GIVEN_FIRST_FEMALE
        roll = rng.random()
        if roll < 0.3:
            given = rng.choice(singles)
        elif roll < 0.65:
            given = rng.choice(firsts) + rng.choice(singles)
        else:
            first, second = rng.sample(singles, 2)
            given = first + second
        return surname, given

    def mobile(self) -> str:
        rng = self.rng
        while True:
            number = f"{self._mobile_prefix(rng)}{rng.randrange(10**8):08d}"
            if number not in self.phones:
                break
        if normalize_phone(number) != number:  # pragma: no cover - guards the generator
            raise DemoDataError(f"generated an invalid phone number {number}")
        self.phones.add(number)
        return number

    def landline(self) -> str:
        rng = self.rng
        while True:
            number = f"010-{rng.choice('5678')}{rng.randrange(10**7):07d}"
            if number not in self.phones:
                break
        if normalize_phone(number) != number:  # pragma: no cover
            raise DemoDataError(f"generated an invalid phone number {number}")
        self.phones.add(number)
        return number

    def vin(self, trim: _TrimInfo, year: int) -> str:
        rng = self.rng
        plant = rng.choice(trim.series_spec.plants)
        while True:
            vis = f"{vin_year_code(year)}{plant}{rng.randrange(10**6):06d}"
            vin = build_vin(self.catalog.brand_wmi, trim.spec.vds, vis)
            if vin not in self.vins:
                break
        validate_vin(vin)
        self.vins.add(vin)
        return vin

    def moment(
        self, day: date, kind: str, when: str = "past", rng: random.Random | None = None
    ) -> datetime:
        """A local time on ``day`` inside the kind's window; before/after the snapshot today."""
        windows = WINDOWS[kind]
        if day == self.today and when in ("past", "future"):
            windows = self._clipped(kind, when)
        rng = rng or self.rng
        total = sum(weight for _start, _end, weight in windows)
        roll = rng.random() * total
        chosen = windows[-1]
        for window in windows:
            roll -= window[2]
            if roll <= 0:
                chosen = window
                break
        seconds = rng.randrange(chosen[0] * 60, chosen[1] * 60)
        return datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(seconds=seconds)

    def _clipped(self, kind: str, when: str):
        key = (kind, when)
        if key not in self._clip_cache:
            noon = SNAPSHOT.hour * 60 + SNAPSHOT.minute
            clipped = []
            for start, end, weight in WINDOWS[kind]:
                if when == "past":
                    start, end = start, min(end, noon - 5)
                else:
                    start, end = max(start, noon + 30), end
                if end - start >= 10:
                    clipped.append((start, end, weight))
            if not clipped:
                clipped = [(9 * 60, noon - 5, 1.0)] if when == "past" else [(13 * 60, 18 * 60, 1.0)]
            self._clip_cache[key] = tuple(clipped)
        return self._clip_cache[key]

    # -- catalogue ----------------------------------------------------------------------------

    def _build_catalog(self) -> _Catalog:
        created = self.now - timedelta(days=3 * 365)
        model_year = self.today.year
        stamp = {"created_at": created}

        def brand_of(spec: data.BrandSpec) -> Brand:
            brand, made = Brand.objects.get_or_create(
                name=spec.name,
                defaults={"name_en": spec.name_en, "is_competitor": spec.is_competitor, **stamp},
            )
            self.counts["brands"] += made
            return brand

        def series_of(brand: Brand, spec: data.SeriesSpec) -> Series:
            series, made = Series.objects.get_or_create(
                brand=brand, name=spec.name, defaults={"body_type": spec.body_type, **stamp}
            )
            self.counts["series"] += made
            return series

        def trim_of(series: Series, spec: data.TrimSpec) -> Trim:
            trim, made = Trim.objects.get_or_create(
                series=series,
                name=spec.name,
                model_year=model_year,
                defaults={"guide_price": spec.guide_price, **stamp},
            )
            self.counts["trims"] += made
            return trim

        own = data.OWN_BRAND
        brand = brand_of(own)
        trims: list[_TrimInfo] = []
        series_objs: list[Series] = []
        series_pairs = []
        for series_spec in own.series:
            series = series_of(brand, series_spec)
            series_objs.append(series)
            series_pairs.append((series, series_spec.weight))
            for trim_spec in series_spec.trims:
                trims.append(_TrimInfo(trim_of(series, trim_spec), trim_spec, series_spec, series))
        colors = []
        for color_spec in data.OWN_COLORS:
            color, made = Color.objects.get_or_create(
                brand=brand,
                name=color_spec.name,
                defaults={"code": color_spec.code, "hex_value": color_spec.hex_value, **stamp},
            )
            self.counts["colours"] += made
            colors.append(color)
        competitor_trims, competitor_labels = [], []
        for brand_spec in data.COMPETITOR_BRANDS:
            competitor = brand_of(brand_spec)
            for series_spec in brand_spec.series:
                series = series_of(competitor, series_spec)
                competitor_labels.append(f"{brand_spec.name}{series_spec.name}")
                for trim_spec in series_spec.trims:
                    competitor_trims.append(trim_of(series, trim_spec))
        catalog = _Catalog(
            brand=brand,
            trims=trims,
            colors=colors,
            series=series_objs,
            competitor_trims=competitor_trims,
            competitor_labels=competitor_labels,
            pick_trim=_Picker((t, t.series_spec.weight * t.spec.weight) for t in trims),
            pick_color=_Picker(zip(colors, (c.weight for c in data.OWN_COLORS), strict=True)),
            pick_series=_Picker(series_pairs),
            brand_wmi=own.wmi,
            own_by_pk={info.obj.pk: info for info in trims},
        )
        return catalog


class _StoreBuilder:
    """Plans and writes one store's data."""

    def __init__(self, ctx: DemoBuilder, spec: data.StoreSpec, index: int):
        self.ctx = ctx
        self.rng = ctx.rng
        self.size = ctx.size
        self.spec = spec
        self.index = index
        self.today = ctx.today
        self.now = ctx.now
        self.catalog = ctx.catalog
        self.home = next(d for d in data.DISTRICTS if d.name == spec.district)
        self.moment = ctx.moment
        # Order extras and stage histories draw from their own generator, so adding them left
        # every other demo row as it was.
        self.extra = random.Random(f"dealerplan-demo-extras-{ctx.seed}-{index}")
        # The same for the visits that phone appointments lead to, and for the plans.
        self.shows = random.Random(f"dealerplan-demo-shows-{ctx.seed}-{index}")
        self.targets = random.Random(f"dealerplan-demo-plans-{ctx.seed}-{index}")
        # And for the delivered cars of older orders, so every delivery has its vehicle's cost.
        self.archive = random.Random(f"dealerplan-demo-archive-{ctx.seed}-{index}")

    def build(self) -> Store:
        self._build_org()
        self._build_pipelines()
        self._plan_orders()
        self._plan_customers()
        self._assign_orders()
        self._plan_intentions()
        for lead in self.leads:
            self._plan_timeline(lead)
        self._plan_deals()
        self._finish_customers()
        self._plan_stage_changes()
        self._plan_vehicles()
        self._plan_order_extras()
        self._make_orders()
        self._plan_payments()
        self._finish_orders()
        self._plan_activities()
        self._plan_traffic()
        self._plan_appointment_shows()
        self._save()
        self._make_plans()
        self._seed_pool()
        return self.store

    def _seed_pool(self) -> None:
        """A few leads their consultants gave back, so the 公海 has something to claim.

        Cold (C) and lost (F) leads without an open deal or an order, released through the
        pool's own service with a reason, one to 45 days ago. Their own generator leaves every
        other demo row as it was.
        """
        rng = random.Random(f"dealerplan-demo-pool-{self.ctx.seed}-{self.index}")
        busy = set(
            Deal.objects.filter(store=self.store, status=DealStatus.OPEN).values_list(
                "customer_id", flat=True
            )
        ) | set(SalesOrder.objects.filter(store=self.store).values_list("customer_id", flat=True))
        candidates = [
            customer
            for customer in Customer.objects.filter(
                store=self.store, intention_level__in=("C", "F"), owner__isnull=False
            )
            .select_related("owner")
            .order_by("pk")
            if customer.pk not in busy
        ]
        count = min(len(candidates), max(3, len(candidates) // 40))
        for customer in rng.sample(candidates, count):
            reasons = POOL_REASONS_LOST if customer.intention_level == "F" else POOL_REASONS_COLD
            when = self.now - timedelta(days=rng.randint(1, 45), hours=rng.randint(0, 8))
            pool.release(customer.owner, customer, rng.choice(reasons), now=when)
        self.ctx.counts["pool customers"] += count

    # -- helpers ------------------------------------------------------------------------------

    def _days_ago(self, days: float) -> date:
        return (self.now - timedelta(days=days)).date()

    def _text(self, template: str, series: str | None = None) -> str:
        if "{" not in template:
            return template
        return template.format(
            series=series or self.catalog.pick_series(self.rng).name,
            competitor=self.rng.choice(self.catalog.competitor_labels),
        )

    def _own_series(self, lead: _Lead) -> Series:
        trim = lead.obj.intended_trim
        info = self.catalog.own_by_pk.get(trim.pk) if trim is not None else None
        return info.series if info is not None else self.catalog.pick_series(self.rng)

    def _series_name(self, lead: _Lead) -> str:
        return self._own_series(lead).name

    # -- organisation -------------------------------------------------------------------------

    def _build_org(self) -> None:
        ctx, rng, spec = self.ctx, self.rng, self.spec
        opened = self.now - timedelta(days=3 * 365 + 30 * self.index)
        self.store = Store.objects.create(
            code=spec.code,
            name=spec.name,
            city=spec.city,
            address=spec.address,
            phone=spec.phone,
            created_at=opened,
        )
        n_consultants = self.size.consultants
        n_teams = 2 if n_consultants >= 2 else 1
        self.teams = Team.objects.bulk_create(
            [
                Team(store=self.store, name=data.TEAM_NAMES[i], created_at=opened)
                for i in range(n_teams)
            ]
        )
        usernames = ctx.usernames(self.index)
        roles = [(role, staff) for _name, role, staff in STAFF]
        roles += [(Role.CONSULTANT, False)] * n_consultants
        per_team = math.ceil(n_consultants / n_teams)
        users, used_names = [], set()
        for position, (username, (role, is_staff)) in enumerate(zip(usernames, roles, strict=True)):
            gender = Gender.MALE if rng.random() < 0.6 else Gender.FEMALE
            while True:
                surname, given = ctx.person_name(gender)
                if surname + given not in used_names:
                    break
            used_names.add(surname + given)
            team = None
            if role == Role.CONSULTANT:
                team = self.teams[(position - len(STAFF)) // per_team]
            users.append(
                User(
                    username=username,
                    first_name=given,
                    last_name=surname,
                    email=f"{username}@{spec.code}.example.com",
                    role=role,
                    is_staff=is_staff,
                    store=self.store,
                    team=team,
                    phone=ctx.mobile(),
                    password=ctx.password_hash,
                    date_joined=self.now - timedelta(days=rng.randint(120, 1000)),
                )
            )
        self.users = User.objects.bulk_create(users)
        self.consultants = [u for u in self.users if u.role == Role.CONSULTANT]
        for team in self.teams:
            team.leader = next(u for u in self.consultants if u.team is team)
        Team.objects.bulk_update(self.teams, ["leader"])
        for user in self.users:
            ctx.logins.append(
                DemoLogin(
                    username=user.username,
                    role=user.role,
                    role_display=str(user.get_role_display()),
                    store_code=spec.code,
                    password=ctx.password,
                )
            )
        ctx.counts["stores"] += 1
        ctx.counts["teams"] += len(self.teams)
        ctx.counts["users"] += len(self.users)

        # Some consultants sell more than others; efficiency follows their share.
        n = n_consultants
        shares = [1.6 - 1.0 * i / (n - 1) if n > 1 else 1.0 for i in range(n)]
        rng.shuffle(shares)
        self.owner_weights = shares
        self.pick_owner = _Picker(enumerate(shares))
        self.efficiency = [
            0.72 + 0.26 * (share - 0.6) + rng.uniform(-0.03, 0.03) for share in shares
        ]
        self.rest_day = [i % 5 for i in range(n)]  # each consultant has a weekday off

    def _build_pipelines(self) -> None:
        created = self.store.created_at
        self.retail = Pipeline.objects.create(
            store=self.store,
            name=data.RETAIL_PIPELINE,
            kind=PipelineKind.RETAIL,
            is_default=True,
            created_at=created,
        )
        self.fleet = Pipeline.objects.create(
            store=self.store,
            name=data.FLEET_PIPELINE,
            kind=PipelineKind.FLEET,
            is_default=False,
            created_at=created,
        )
        stages = []
        for pipeline, specs in ((self.retail, data.RETAIL_STAGES), (self.fleet, data.FLEET_STAGES)):
            for position, spec in enumerate(specs):
                stages.append(
                    Stage(
                        pipeline=pipeline,
                        name=spec.name,
                        position=position,
                        probability=spec.probability,
                        follow_up_days=spec.follow_up_days,
                        is_won=spec.is_won,
                        is_lost=spec.is_lost,
                        created_at=created,
                    )
                )
        stages = Stage.objects.bulk_create(stages)
        n_retail = len(data.RETAIL_STAGES)
        self.retail_stages = stages[:n_retail]
        self.fleet_stages = stages[n_retail:]
        self.ctx.counts["pipelines"] += 2
        self.ctx.counts["stages"] += len(stages)

    # -- orders (dates, statuses, prices) -----------------------------------------------------

    def _plan_orders(self) -> None:
        rng, today, size = self.rng, self.today, self.size
        months = []
        year, month = today.year, today.month
        for _ in range(size.order_months):
            months.append((year, month))
            month -= 1
            if month == 0:
                year, month = year - 1, 12
        months.reverse()
        low, high = size.orders_per_month * 0.83, size.orders_per_month * 1.25
        plans: list[_OrderPlan] = []
        for year, month in months:
            n_days = calendar.monthrange(year, month)[1]
            days = [date(year, month, d) for d in range(1, n_days + 1)]
            days = [d for d in days if d <= today]
            target = size.orders_per_month * ORDER_SEASON[month] * rng.uniform(0.95, 1.05)
            target = min(max(target, low), high)
            count = round(target * len(days) / n_days)
            weights = [1.5 if d.weekday() >= 5 else 1.0 for d in days]
            for day in sorted(rng.choices(days, weights=weights, k=count)):
                plans.append(self._order_plan(day))
        plans.sort(key=lambda o: o.at)
        self.orders = plans

    def _order_plan(self, day: date) -> _OrderPlan:
        rng, today = self.rng, self.today
        age = (today - day).days
        trim = self.catalog.pick_trim(rng)
        plan = _OrderPlan(
            order_date=day,
            at=self.moment(day, ActivityKind.RECEPTION),
            status=OrderStatus.DELIVERED,
            trim=trim,
            color=self.catalog.pick_color(rng),
            financing=FinancingKind.LOAN if rng.random() < 0.42 else FinancingKind.CASH,
            cost_factor=rng.uniform(0.86, 0.92),
        )
        roll = rng.random()
        if roll < 0.03 and age >= 2:
            plan.status = OrderStatus.CANCELLED
            plan.cancelled_on = min(day + timedelta(days=rng.randint(1, 14)), today)
        elif age <= 10:
            plan.status = OrderStatus.CONFIRMED if roll < 0.65 else OrderStatus.ALLOCATED
        elif age <= 45:
            plan.status = (
                OrderStatus.DELIVERED
                if roll < 0.55
                else OrderStatus.ALLOCATED
                if roll < 0.85
                else OrderStatus.CONFIRMED
            )
        elif age <= 90:
            plan.status = OrderStatus.DELIVERED if roll < 0.92 else OrderStatus.ALLOCATED
        if plan.status == OrderStatus.DELIVERED:
            plan.delivery_date = day + timedelta(days=rng.randint(3, min(30, age)))
        # Prices: the guide price, a discount (bigger for the EV and at year end), accessories.
        guide = trim.guide
        low, high = (0.08, 0.16) if trim.series_spec.is_ev else (0.03, 0.10)
        if day.month == 12:
            low, high = low + 0.01, high + 0.02
        plan.vehicle_price = money(guide)
        plan.discount = scale(guide, rng.uniform(low, high))
        plan.accessories = money(0) if rng.random() < 0.35 else money(rng.randint(15, 120) * 100)
        plan.total = money(plan.vehicle_price - plan.discount + plan.accessories)
        return plan

    # -- customers ----------------------------------------------------------------------------

    def _level_counts(self) -> dict[str, int]:
        n = self.size.customers
        counts = {level: round(n * share) for level, share in LEVEL_SHARES.items()}
        counts["O"] = sum(
            1 for o in self.orders if o.status in (OrderStatus.CONFIRMED, OrderStatus.ALLOCATED)
        )
        counts["B"] += n - sum(counts.values())
        if counts["B"] < 0:
            raise DemoDataError("too many open orders for the number of customers")
        return counts

    def _plan_customers(self) -> None:
        ctx, rng, store = self.ctx, self.rng, self.store
        n = self.size.customers
        levels = [level for level, count in self._level_counts().items() for _ in range(count)]
        rng.shuffle(levels)
        # A few customers with polyphonic surnames, whatever the distribution draws.
        per_surname = max(1, n // 400)
        forced_positions = rng.sample(range(n), k=min(n, per_surname * 4))
        forced = {pos: data.POLYPHONIC_SURNAMES[i % 4] for i, pos in enumerate(forced_positions)}
        district_picker = _Picker(
            (d, data.HOME_DISTRICT_WEIGHT if d is self.home else d.weight) for d in data.DISTRICTS
        )
        individual_source = _Picker(INDIVIDUAL_SOURCES)
        org_source = _Picker(ORGANIZATION_SOURCES)
        suffix = _Picker(data.ORG_SUFFIXES)
        org_names: set[str] = set()
        leads, contacts = [], []
        for position, level in enumerate(levels):
            is_org = rng.random() < 0.10 and position not in forced
            district = district_picker(rng)
            street = rng.choice(district.streets)
            latitude = district.latitude + max(-0.06, min(0.06, rng.gauss(0, 0.018)))
            longitude = district.longitude + max(-0.07, min(0.07, rng.gauss(0, 0.022)))
            customer = Customer(
                store=store,
                latitude=Decimal(f"{latitude:.6f}"),
                longitude=Decimal(f"{longitude:.6f}"),
                district=district.full_name,
                intention_level=level,
            )
            if is_org:
                while True:
                    name = (
                        f"北京{rng.choice(data.ORG_BRANDS)}{rng.choice(data.ORG_TRADES)}"
                        f"{suffix(rng)}"
                    )
                    if name not in org_names:
                        break
                org_names.add(name)
                customer.kind = CustomerKind.ORGANIZATION
                customer.name = name
                customer.phone = ctx.landline() if rng.random() < 0.4 else ctx.mobile()
                customer.source = org_source(rng)
                customer.address = (
                    f"{district.full_name}{street}{rng.randint(1, 200)}号"
                    f"{rng.choice('ABCD')}座{rng.randint(2, 28)}层"
                )
            else:
                gender = Gender.MALE if rng.random() < 0.65 else Gender.FEMALE
                surname, given = ctx.person_name(gender, forced.get(position))
                customer.kind = CustomerKind.INDIVIDUAL
                customer.name = surname + given
                customer.gender = gender
                customer.phone = ctx.mobile()
                customer.source = individual_source(rng)
                if rng.random() < 0.5:
                    customer.address = f"{district.full_name}{street}{rng.randint(1, 300)}号"
                else:
                    customer.address = (
                        f"{district.full_name}{street}{rng.randint(1, 300)}号院"
                        f"{rng.randint(1, 20)}号楼{rng.randint(1, 6)}单元"
                        f"{rng.randint(1, 28)}{rng.randint(1, 4):02d}"
                    )
                if rng.random() < 0.55:
                    customer.wechat = "wxid_" + "".join(
                        rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(12)
                    )
                if rng.random() < 0.2:
                    customer.notes = rng.choice(data.CUSTOMER_NOTES)
            owner_index = self.pick_owner(rng)
            customer.owner = self.consultants[owner_index]
            lead = _Lead(obj=customer, owner_index=owner_index, level=level, is_org=is_org)
            leads.append(lead)
            if is_org:
                contacts.extend(self._contacts(customer))
        # A few brand-new leads nobody has called yet (they come out of the B pool).
        new_pool = [lead for lead in leads if lead.level == "B" and not lead.is_org]
        for lead in rng.sample(new_pool, k=min(len(new_pool), max(1, round(n * 0.015)))):
            lead.is_new = True
            lead.level = "A" if rng.random() < 0.3 else "B"
            lead.obj.intention_level = lead.level
            lead.obj.source = rng.choice((SourceChannel.ONLINE, SourceChannel.PHONE_IN))
        self.leads = leads
        self.contacts = contacts

    def _contacts(self, customer: Customer) -> list[Contact]:
        ctx, rng = self.ctx, self.rng
        result = []
        for i in range(rng.choices((1, 2, 3), weights=(50, 35, 15))[0]):
            gender = Gender.MALE if rng.random() < 0.6 else Gender.FEMALE
            surname, given = ctx.person_name(gender)
            birthday = None
            if rng.random() < 0.4:
                birthday = date(rng.randint(1965, 1992), rng.randint(1, 12), rng.randint(1, 28))
            result.append(
                Contact(
                    customer=customer,
                    name=surname + given,
                    title=rng.choice(
                        data.CONTACT_TITLES_DECIDER if i == 0 else data.CONTACT_TITLES_OTHER
                    ),
                    phone=ctx.mobile(),
                    is_decision_maker=i == 0,
                    interests="、".join(rng.sample(data.CONTACT_INTERESTS, rng.randint(1, 2))),
                    birthday=birthday,
                )
            )
        return result

    def _assign_orders(self) -> None:
        rng = self.rng
        by_level: dict[str, list[_Lead]] = defaultdict(list)
        for lead in self.leads:
            if not lead.is_new:
                by_level[lead.level].append(lead)
        delivered = [o for o in self.orders if o.status == OrderStatus.DELIVERED]
        open_statuses = (OrderStatus.CONFIRMED, OrderStatus.ALLOCATED)
        active = [o for o in self.orders if o.status in open_statuses]
        cancelled = [o for o in self.orders if o.status == OrderStatus.CANCELLED]
        # Owners: organisations often buy several cars; a few people buy a second one.
        slots: list[_Lead] = []
        for lead in by_level["D"]:
            extra = rng.choice((0, 1, 2)) if lead.is_org else int(rng.random() < 0.04)
            slots.extend([lead] * (1 + extra))
        rng.shuffle(slots)
        while len(slots) < len(delivered):
            slots.extend(by_level["D"] or self.leads)
        for order, lead in zip(delivered, slots, strict=False):
            self._attach(order, lead)
        o_leads = list(by_level["O"])
        rng.shuffle(o_leads)
        for order, lead in zip(active, o_leads, strict=True):
            self._attach(order, lead)
        lost_pool = by_level["F"] + by_level["C"]
        for i, order in enumerate(cancelled):
            self._attach(order, lost_pool[i % len(lost_pool)])

    @staticmethod
    def _attach(order: _OrderPlan, lead: _Lead) -> None:
        order.lead = lead
        lead.orders.append(order)
        if lead.is_org:
            order.financing = FinancingKind.CASH

    # -- timelines: created, contacts, follow-ups ---------------------------------------------

    def _plan_timeline(self, lead: _Lead) -> None:
        rng, now, today = self.rng, self.now, self.today
        customer, level = lead.obj, lead.level
        if lead.is_new:
            created = now - timedelta(minutes=rng.randint(20, 72 * 60))
            customer.created_at = created
            customer.next_follow_up_at = created + timedelta(minutes=30)
            lead.created_ts = created.timestamp()
            return
        series = lead.orders[-1].trim.series.name if lead.orders else None
        events = lead.events
        for order in sorted(lead.orders, key=lambda o: o.at):
            events.append(
                _Event(
                    order.at,
                    ActivityKind.RECEPTION,
                    Outcome.ORDERED,
                    rng.choice(data.ORDER_NOTES),
                    rng.choice(data.NEXT_STEPS_ORDERED),
                )
            )
            if order.status == OrderStatus.DELIVERED:
                events.append(
                    _Event(
                        self.moment(order.delivery_date, ActivityKind.RECEPTION),
                        ActivityKind.RECEPTION,
                        Outcome.OTHER,
                        rng.choice(data.DELIVERY_NOTES),
                        "交车后三日回访",
                    )
                )
            elif order.status == OrderStatus.CANCELLED:
                events.append(
                    _Event(
                        self.moment(order.cancelled_on, ActivityKind.CALL),
                        ActivityKind.CALL,
                        Outcome.NOT_INTERESTED,
                        rng.choice(data.CANCEL_NOTES),
                        "",
                    )
                )
        if level in FOLLOW_UP_DAYS:
            interval = FOLLOW_UP_DAYS[level]
            if rng.random() < (0.15 if level == "C" else 0.10):  # overdue
                ago = interval + rng.uniform(0.3, max(2.0, interval * 0.8))
            else:
                ago = interval * rng.random() ** 1.4
            kind, outcome, notes, next_step = self._anchor(lead, series)
            when = self.moment(self._days_ago(ago), kind)
            if not events or when > max(e.when for e in events):
                events.append(_Event(when, kind, outcome, notes, next_step))
        elif level == "D":
            deliveries = [o.delivery_date for o in lead.orders if o.delivery_date]
            day = (
                max(deliveries) + timedelta(days=rng.randint(1, 10))
                if deliveries
                else today - timedelta(days=rng.randint(1, HISTORY_DAYS - 5))
            )
            if day <= today:
                events.append(
                    _Event(
                        self.moment(day, ActivityKind.CALL),
                        ActivityKind.CALL,
                        Outcome.REACHED,
                        rng.choice(data.AFTERCARE_NOTES),
                        rng.choice(data.NEXT_STEPS_OWNER),
                    )
                )
        elif level == "F" and not lead.orders:
            day = today - timedelta(days=rng.randint(1, HISTORY_DAYS - 25))
            events.append(
                _Event(
                    self.moment(day, ActivityKind.CALL),
                    ActivityKind.CALL,
                    Outcome.NOT_INTERESTED,
                    self._text(rng.choice(data.LOST_NOTES)),
                    "",
                )
            )
        events.sort(key=lambda e: e.when)
        first, last = events[0].when, events[-1].when
        # When the customer came in: before the first contact (owners from before the order
        # history came in long ago).
        if level == "D" and not lead.orders:
            created_day = today - timedelta(days=rng.randint(HISTORY_DAYS + 15, CUSTOMER_DAYS - 5))
        else:
            low, high = {
                "H": (0.05, 40),
                "A": (1, 90),
                "B": (2, 200),
                "C": (5, 600),
                "F": (5, 150),
                "O": (3, 60),
                "D": (3, 90),
            }[level]
            if lead.orders:
                low, high = (3, 60) if level == "O" else (3, 90)
            created_day = (first - timedelta(days=rng.uniform(low, high))).date()
        floor = today - timedelta(days=CUSTOMER_DAYS)
        created_day = max(created_day, floor)
        window = SOURCE_WINDOW.get(customer.source, "office")
        created = self.moment(created_day, window)
        if created >= first:
            created = first - timedelta(minutes=rng.randint(10, 90))
        customer.created_at = created
        customer.last_contact_at = last
        if level in FOLLOW_UP_DAYS:
            customer.next_follow_up_at = last + timedelta(days=FOLLOW_UP_DAYS[level])
        lead.created_ts = created.timestamp()
        lead.last_ts = last.timestamp()

    def _anchor(self, lead: _Lead, series: str | None):
        """(kind, outcome, notes, next step) of the latest contact with an open lead."""
        rng = self.rng
        level = lead.level
        series = series or self._series_name(lead)
        if level == "O":
            kind = ActivityKind.CALL if rng.random() < 0.8 else ActivityKind.MESSAGE
            return (
                kind,
                Outcome.REACHED,
                rng.choice(("通知客户车辆到店时间", "确认尾款和上牌资料", "提醒客户准备贷款材料")),
                rng.choice(data.NEXT_STEPS_ORDERED),
            )
        kinds = {
            "H": (
                (ActivityKind.RECEPTION, 30),
                (ActivityKind.TEST_DRIVE, 15),
                (ActivityKind.CALL, 45),
                (ActivityKind.MESSAGE, 10),
            ),
            "A": (
                (ActivityKind.CALL, 60),
                (ActivityKind.RECEPTION, 15),
                (ActivityKind.MESSAGE, 15),
                (ActivityKind.VISIT, 10),
            ),
            "B": ((ActivityKind.CALL, 70), (ActivityKind.MESSAGE, 20), (ActivityKind.VISIT, 10)),
            "C": ((ActivityKind.CALL, 70), (ActivityKind.MESSAGE, 30)),
        }[level]
        kind = rng.choices([k for k, _w in kinds], weights=[w for _k, w in kinds])[0]
        if kind == ActivityKind.VISIT and not lead.is_org and rng.random() < 0.5:
            kind = ActivityKind.CALL
        if level == "H":
            outcome = rng.choice((Outcome.APPOINTMENT, Outcome.QUOTED))
            next_step = rng.choice(data.NEXT_STEPS_HOT)
        else:
            outcome = rng.choice((Outcome.REACHED, Outcome.REACHED, Outcome.APPOINTMENT))
            next_step = rng.choice(data.NEXT_STEPS)
        if kind == ActivityKind.MESSAGE:
            outcome = Outcome.REACHED
        notes = self._text(rng.choice(NOTES[kind]), series)
        return kind, outcome, notes, next_step

    # -- deals --------------------------------------------------------------------------------

    def _plan_deals(self) -> None:
        rng = self.rng
        total = self.size.deals
        n_fleet = round(total * 0.22)
        n_retail = total - n_fleet
        n_won, n_lost = round(n_retail * 0.30), round(n_retail * 0.12)
        n_open = n_retail - n_won - n_lost
        deals: list[Deal] = []
        order_stage, lost_stage = self.retail_stages[3], self.retail_stages[4]
        # Won retail deals: the latest orders of private buyers.
        seen: set[int] = set()
        recent = sorted(
            (o for o in self.orders if o.status != OrderStatus.CANCELLED and not o.lead.is_org),
            key=lambda o: o.at,
            reverse=True,
        )
        for order in recent:
            if len(seen) >= n_won:
                break
            lead = order.lead
            if id(lead) in seen:
                continue
            seen.add(id(lead))
            deal = self._deal(
                lead,
                self.retail,
                order_stage,
                order.trim,
                order.total,
                DealStatus.WON,
                created_before=order.at,
            )
            deal.expected_close_date = order.order_date
            order.deal = deal
            deals.append(deal)
        # Lost retail deals: lost leads and cancelled orders.
        lost_pool = [lead for lead in self.leads if lead.level == "F"]
        lost_pool += [lead for lead in self.leads if lead.level == "C" and lead.orders]
        for lead in lost_pool[:n_lost]:
            trim = self.catalog.pick_trim(rng)
            deal = self._deal(
                lead,
                self.retail,
                lost_stage,
                trim,
                self._quote(trim),
                DealStatus.LOST,
                created_before=lead.obj.last_contact_at,
            )
            deal.expected_close_date = lead.obj.last_contact_at.date()
            deal.notes = self._text(rng.choice(data.LOST_NOTES))
            deals.append(deal)
        # Open retail deals: the hottest leads first.
        open_pool = [
            lead
            for level in ("H", "A", "B")
            for lead in self.leads
            if lead.level == level and not lead.is_new and not lead.is_org
        ]
        stage_weights = {"H": (0, 30, 70), "A": (25, 50, 25), "B": (70, 30, 0)}
        close_days = {"H": (1, 10), "A": (7, 35), "B": (20, 90)}
        for lead in open_pool[:n_open]:
            trim = self._own_trim(lead)
            stage = rng.choices(self.retail_stages[:3], weights=stage_weights[lead.level])[0]
            deal = self._deal(
                lead,
                self.retail,
                stage,
                trim,
                self._quote(trim),
                DealStatus.OPEN,
                created_before=lead.obj.last_contact_at,
            )
            deal.expected_close_date = self.today + timedelta(
                days=rng.randint(*close_days[lead.level])
            )
            deal.next_follow_up_at = lead.obj.next_follow_up_at
            deals.append(deal)
        deals.extend(self._fleet_deals(n_fleet))
        self.deals = deals

    def _own_trim(self, lead: _Lead) -> _TrimInfo:
        trim = lead.obj.intended_trim
        info = self.catalog.own_by_pk.get(trim.pk) if trim is not None else None
        return info or self.catalog.pick_trim(self.rng)

    def _quote(self, trim: _TrimInfo) -> Decimal:
        return money(trim.guide - scale(trim.guide, self.rng.uniform(0.03, 0.08)))

    def _deal(
        self,
        lead: _Lead,
        pipeline: Pipeline,
        stage: Stage,
        trim: _TrimInfo,
        amount: Decimal,
        status: str,
        *,
        created_before: datetime,
    ) -> Deal:
        customer = lead.obj
        start = customer.created_at
        span = max((created_before - start).total_seconds(), 0)
        created = start + timedelta(seconds=self.rng.uniform(0, span) * 0.5)
        return Deal(
            store=self.store,
            customer=customer,
            owner=customer.owner,
            pipeline=pipeline,
            stage=stage,
            title=f"{customer.name} · {trim.label}",
            status=status,
            amount=money(amount),
            units=1,
            last_contact_at=customer.last_contact_at,
            created_at=created,
        )

    def _fleet_deals(self, count: int) -> list[Deal]:
        rng, today = self.rng, self.today
        stages = self.fleet_stages
        orgs = [lead for lead in self.leads if lead.is_org and not lead.is_new]
        if not orgs or not count:
            return []
        pools = {
            "open": [lead for lead in orgs if lead.level in FOLLOW_UP_DAYS],
            "won": [lead for lead in orgs if lead.level == "D"],
            "lost": [lead for lead in orgs if lead.level in ("F", "C")],
        }
        used: Counter[int] = Counter()

        def pick(pool_name: str) -> _Lead:
            pool = pools[pool_name] or orgs
            fresh = [lead for lead in pool if not used[id(lead)]]
            lead = rng.choice(fresh or pool)
            used[id(lead)] += 1
            return lead

        fleet_series = _Picker(
            (t, w)
            for t, w in zip(
                [info for info in self.catalog.trims if info.spec is info.series_spec.trims[0]],
                (30, 40, 10, 20),
                strict=True,
            )
        )
        stage_picker = _Picker(zip(range(len(stages)), (16, 12, 10, 8, 7, 5, 15, 10), strict=True))
        deals = []
        for _ in range(count):
            position = stage_picker(rng)
            stage = stages[position]
            trim = fleet_series(rng)
            units = rng.choice((3, 4, 5, 6, 8, 10, 12, 15, 20, 30))
            unit_price = scale(trim.guide, rng.uniform(0.86, 0.93))
            # Milestones (days from the start): bid, contract, delivery, acceptance, payment.
            bid = rng.randint(20, 45)
            contract = bid + rng.randint(15, 40)
            delivery = contract + rng.randint(20, 60)
            acceptance = delivery + rng.randint(7, 21)
            paid = acceptance + rng.randint(15, 45)
            entered = (0, bid - 14, bid + 3, contract - 7, contract + 1, delivery, acceptance)
            if stage.is_won:
                status, pool = DealStatus.WON, "won"
                start = today - timedelta(days=rng.randint(5, 200) + paid)
            elif stage.is_lost:
                status, pool = DealStatus.LOST, "lost"
                start = today - timedelta(days=rng.randint(3, 150) + bid)
            else:
                status, pool = DealStatus.OPEN, "open"
                in_stage = rng.randint(1, int((stage.follow_up_days or 7) * 1.5))
                start = today - timedelta(days=in_stage + entered[position])
            start = max(start, today - timedelta(days=CUSTOMER_DAYS - 40))
            lead = pick(pool)
            customer = lead.obj
            created = self.moment(start, "office")
            if customer.created_at >= created:
                earlier = created - timedelta(days=rng.randint(1, 30))
                customer.created_at = self.moment(earlier.date(), "office")
                lead.created_ts = customer.created_at.timestamp()

            def day(offset: int, start: date = start) -> date:
                return start + timedelta(days=offset)

            purpose = rng.choice(data.FLEET_DEAL_PURPOSES)
            deal = Deal(
                store=self.store,
                customer=customer,
                owner=customer.owner,
                pipeline=self.fleet,
                stage=stage,
                status=status,
                units=units,
                amount=money(unit_price * units),
                title=f"{customer.name} {trim.series.name} {units}台{purpose}",
                bid_date=day(bid),
                created_at=created,
            )
            if status == DealStatus.LOST:
                deal.expected_close_date = day(bid)
                deal.last_contact_at = self.moment(min(day(bid + 3), today), ActivityKind.CALL)
                winner = rng.choice(self.catalog.competitor_labels)
                deal.notes = f"未中标，中标方报价更低（{winner}）"
            else:
                if position >= 2 or stage.is_won:
                    deal.contract_date = day(contract)
                if position >= 3 or stage.is_won:
                    deal.delivery_date = day(delivery)
                if position >= 4 or stage.is_won:
                    deal.acceptance_date = day(acceptance)
                deal.expected_close_date = day(paid)
                if stage.is_won:
                    deal.last_contact_at = self.moment(day(paid), ActivityKind.CALL)
                else:
                    interval = stage.follow_up_days
                    if rng.random() < 0.15:
                        ago = interval + rng.uniform(1, 7)
                    else:
                        ago = interval * rng.random() ** 1.3
                    last = self.moment(self._days_ago(ago), ActivityKind.CALL)
                    deal.last_contact_at = max(last, created + timedelta(hours=1))
                    deal.next_follow_up_at = deal.last_contact_at + timedelta(days=interval)
            deals.append(deal)
        return deals

    # -- customers: tiers, interests, budget --------------------------------------------------

    def _plan_intentions(self) -> None:
        """The trim each customer wants: what they ordered, a competitor for some lost ones."""
        rng, catalog = self.rng, self.catalog
        for lead in self.leads:
            customer = lead.obj
            if lead.orders:
                customer.intended_trim = lead.orders[-1].trim.obj
            elif lead.level == "F" and rng.random() < 0.5:
                customer.intended_trim = rng.choice(catalog.competitor_trims)
            elif rng.random() < 0.9:
                customer.intended_trim = catalog.pick_trim(rng).obj

    def _finish_customers(self) -> None:
        rng = self.rng
        for lead in self.leads:
            customer = lead.obj
            orders = lead.active_orders
            if not lead.is_org and customer.intended_trim is not None and rng.random() < 0.75:
                factor = rng.uniform(0.9, 1.15)
                customer.budget = scale(customer.intended_trim.guide_price, factor, 10000)
            spent = sum((o.total for o in orders), Decimal("0"))
            if len(orders) >= 3 or (lead.is_org and len(orders) >= 2):
                tier = AccountTier.VIP
            elif len(orders) >= 2 or spent >= Decimal("250000"):
                tier = AccountTier.TIER1
            elif len(orders) == 1:
                tier = AccountTier.TIER2 if rng.random() < 0.45 else AccountTier.OTHER
            elif lead.level in ("H", "A") and rng.random() < 0.08:
                tier = AccountTier.TIER2
            else:
                tier = AccountTier.OTHER
            customer.account_tier = tier
            customer.search_text = customer.build_search_text()

    # -- vehicles -----------------------------------------------------------------------------

    def _plan_vehicles(self) -> None:
        rng, today = self.rng, self.today
        n_total = self.size.vehicles
        allocated = [o for o in self.orders if o.status == OrderStatus.ALLOCATED]
        confirmed = [o for o in self.orders if o.status == OrderStatus.CONFIRMED]
        delivered = sorted(
            (o for o in self.orders if o.status == OrderStatus.DELIVERED),
            key=lambda o: (o.delivery_date, o.at),
            reverse=True,
        )
        n_transit = max(1, round(n_total * 0.10))
        n_confirmed_linked = min(round(len(confirmed) * 0.4), n_transit)
        n_stock = round(n_total * 0.30)
        n_delivered = n_total - n_stock - n_transit - len(allocated)
        if n_delivered > len(delivered):
            n_stock += n_delivered - len(delivered)
            n_delivered = len(delivered)
        if n_delivered < 0:
            n_stock = max(0, n_stock + n_delivered)
            n_delivered = 0
        vehicles: list[Vehicle] = []

        def add(trim, color, status, arrival, cost_factor, location="", notes="") -> Vehicle:
            year = arrival.year if arrival else today.year
            created_day = arrival or today - timedelta(days=rng.randint(3, 30))
            vehicle = Vehicle(
                store=self.store,
                vin=self.ctx.vin(trim, year),
                trim=trim.obj,
                color=color,
                status=status,
                arrival_date=arrival,
                cost=scale(trim.guide, cost_factor, 1),
                location=location,
                notes=notes,
                created_at=self.moment(created_day, "office"),
            )
            vehicles.append(vehicle)
            return vehicle

        for order in delivered[:n_delivered]:
            arrival = order.delivery_date - timedelta(days=rng.randint(2, 40))
            order.vehicle = add(
                order.trim, order.color, VehicleStatus.DELIVERED, arrival, order.cost_factor
            )
        for order in allocated:
            order.paid_in_full = rng.random() < 0.5
            status = VehicleStatus.SOLD if order.paid_in_full else VehicleStatus.RESERVED
            arrival = today - timedelta(days=rng.randint(1, 60))
            order.vehicle = add(
                order.trim, order.color, status, arrival, order.cost_factor, location="交车区"
            )
        for order in rng.sample(confirmed, k=n_confirmed_linked):
            order.vehicle = self._transit_vehicle(add, order.trim, order.color, order.cost_factor)
        for _ in range(n_transit - n_confirmed_linked):
            self._transit_vehicle(
                add,
                self.catalog.pick_trim(rng),
                self.catalog.pick_color(rng),
                rng.uniform(0.86, 0.92),
            )
        # Cancelled orders whose car went back into stock keep a reference to it.
        stocked = 0
        for order in self.orders:
            if (
                order.status == OrderStatus.CANCELLED
                and stocked < n_stock
                and (today - order.order_date).days <= 60
                and rng.random() < 0.5
            ):
                arrival = order.order_date - timedelta(days=rng.randint(1, 20))
                order.vehicle = add(
                    order.trim,
                    order.color,
                    VehicleStatus.IN_STOCK,
                    arrival,
                    order.cost_factor,
                    location=self._stock_place(),
                )
                stocked += 1
        ages = _Picker((((0, 30), 0.35), ((31, 60), 0.30), ((61, 90), 0.20), ((91, 200), 0.15)))
        for i in range(n_stock - stocked):
            low, high = ages(rng)
            arrival = today - timedelta(days=rng.randint(low, high))
            showroom = i < 2
            add(
                self.catalog.pick_trim(rng),
                self.catalog.pick_color(rng),
                VehicleStatus.IN_STOCK,
                arrival,
                rng.uniform(0.86, 0.92),
                location="展厅" if showroom else self._stock_place(),
                notes="展车" if showroom else "",
            )
        self._archive_vehicles(delivered[n_delivered:], vehicles)
        self.vehicles = vehicles

    def _archive_vehicles(self, orders: list[_OrderPlan], vehicles: list[Vehicle]) -> None:
        """The cars of older deliveries: their cost makes each order's vehicle margin real."""
        rng = self.archive
        for order in orders:
            trim = order.trim
            arrival = order.delivery_date - timedelta(days=rng.randint(2, 40))
            plant = rng.choice(trim.series_spec.plants)
            while True:
                vis = f"{vin_year_code(arrival.year)}{plant}{rng.randrange(10**6):06d}"
                vin = build_vin(self.catalog.brand_wmi, trim.spec.vds, vis)
                if vin not in self.ctx.vins:
                    break
            self.ctx.vins.add(vin)
            order.vehicle = Vehicle(
                store=self.store,
                vin=vin,
                trim=trim.obj,
                color=order.color,
                status=VehicleStatus.DELIVERED,
                arrival_date=arrival,
                cost=scale(trim.guide, order.cost_factor, 1),
                created_at=self.moment(arrival, "office", rng=rng),
            )
            vehicles.append(order.vehicle)

    def _stock_place(self) -> str:
        rng = self.rng
        area = rng.choice(("主库A区", "主库B区", "二号库", "地下库C区"))
        return f"{area}-{rng.randint(1, 60):02d}"

    def _transit_vehicle(self, add, trim: _TrimInfo, color: Color, cost_factor: float) -> Vehicle:
        if self.rng.random() < 0.6:
            vehicle = add(trim, color, VehicleStatus.IN_TRANSIT, None, cost_factor)
            plant = vehicle.vin[10]
            vehicle.location = f"在途（{PLANT_CITIES.get(plant, '长春')}→{self.spec.city}）"
            return vehicle
        return add(trim, color, VehicleStatus.ORDERED, None, cost_factor)

    # -- stage history of the deals, for the cycle times ---------------------------------------

    def _plan_stage_changes(self) -> None:
        """Each deal's walk through its pipeline, from its creation to where it stands now."""
        rng, now = self.extra, self.now
        won_at = {id(o.deal): o.at for o in self.orders if o.deal is not None}
        self.stage_changes = []
        for deal in self.deals:
            stages = self.retail_stages if deal.pipeline is self.retail else self.fleet_stages
            path_stages = [s for s in stages if not s.is_lost and not s.is_won]
            position = stages.index(deal.stage)
            if deal.stage.is_won:
                path = [*path_stages, deal.stage]
                end = won_at.get(id(deal)) or datetime.combine(
                    deal.expected_close_date or self.today, time(10), tzinfo=TZ
                )
            elif deal.stage.is_lost:
                path = [*path_stages[: rng.randint(1, min(3, len(path_stages)))], deal.stage]
                end = deal.last_contact_at or deal.created_at + timedelta(days=rng.randint(3, 30))
            else:
                path = path_stages[: position + 1]
                pace = deal.stage.follow_up_days or 7
                end = now - timedelta(days=rng.uniform(0.2, 1.2) * pace)
            if deal.pipeline is self.retail and len(path) > 2 and rng.random() < 0.15:
                path.pop(1)  # no test drive for some buyers
            start = deal.created_at
            end = min(max(end, start + timedelta(hours=len(path))), now)
            span = (end - start).total_seconds()
            moments = sorted(rng.uniform(0, span) for _ in range(len(path) - 2))
            times = [start, *(start + timedelta(seconds=x) for x in moments)]
            if len(path) > 1:
                times.append(end)
            before = None
            for stage, at in zip(path, times, strict=True):
                self.stage_changes.append((deal, before, stage, at, deal.owner))
                before = stage

    # -- order extras: accessories, trade-in, invoice, insurance, plate, checklist --------------

    def _plan_order_extras(self) -> None:
        rng = self.extra
        accessories = _Picker((item, 1) for item in data.ACCESSORIES)
        insurer = _Picker(((name, prefix), weight) for name, prefix, weight in data.INSURERS)
        self.order_extras: dict[int, dict] = {}
        self.plates: set[str] = set()
        for order in self.orders:
            extras = self.order_extras.setdefault(id(order), {})
            order.lines = self._accessory_lines(order.accessories, accessories)
            if (
                order.status != OrderStatus.CANCELLED
                and not order.lead.is_org
                and rng.random() < 0.15
            ):
                model, first, last = rng.choice(data.TRADE_IN_CARS)
                year = rng.randint(first, last)
                ceiling = min(Decimal("80000"), order.total * Decimal("0.35"))
                order.trade_in = round_money(
                    Decimal(f"{rng.uniform(15000, float(ceiling)):.2f}"), 100
                )
                extras["trade_in_vehicle"] = f"{year}款 {model}（{self._plate(False, old=True)}）"
            if order.status != OrderStatus.DELIVERED:
                continue
            delivered = order.delivery_date
            invoiced = max(order.order_date, delivered - timedelta(days=rng.randint(1, 5)))
            extras.update(
                invoice_number=f"{rng.randrange(10**8):08d}",
                invoice_date=invoiced,
                invoice_amount=order.total,
                plate_number=self._plate(order.trim.series_spec.is_ev),
                registration_date=invoiced
                + timedelta(days=rng.randint(0, (delivered - invoiced).days)),
                documents_handed_over=True,
                inspection_done=True,
                accessories_fitted=True,
                customer_signed_off=True,
                checklist_completed_at=min(
                    datetime.combine(
                        delivered, time(rng.randint(9, 16), rng.randint(0, 59)), tzinfo=TZ
                    ),
                    self.now,
                ),
            )
            if rng.random() < 0.9:
                name, prefix = insurer(rng)
                premium = money(Decimal(rng.randint(400000, 900000)) / 100)
                rate = Decimal(f"{rng.uniform(0.10, 0.20):.4f}")
                extras.update(
                    insurance_company=name,
                    insurance_premium=premium,
                    insurance_policy_number=f"{prefix}{delivered:%Y}{rng.randrange(10**14):014d}",
                    insurance_commission=money(premium * rate),
                )

    def _accessory_lines(self, amount: Decimal, pick) -> list[tuple[str, Decimal, Decimal]]:
        """Split the order's accessories amount into a few items that add up to it exactly."""
        if not amount:
            return []
        rng = self.extra
        count = max(1, min(4, int(amount // 1500)))
        items = []
        while len(items) < count:
            item = pick(rng)
            if item not in items:
                items.append(item)
        weight = sum(price for _name, price, _ratio in items)
        lines, left = [], amount
        for index, (name, price, ratio) in enumerate(items):
            share = left if index == count - 1 else round_money(amount * price / weight, 100)
            if share <= 0 or (share >= left and index < count - 1):
                return [(items[0][0], amount, round_money(amount * Decimal(str(items[0][2])), 1))]
            cost = round_money(share * Decimal(f"{ratio * rng.uniform(0.9, 1.1):.4f}"), 1)
            lines.append((name, share, cost))
            left -= share
        return lines

    def _plate(self, is_ev: bool, *, old: bool = False) -> str:
        """A Beijing plate not used yet: 京A/京N + 5 for petrol cars, 京AD + 5 for new energy."""
        rng = self.extra
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        while True:
            if is_ev:
                plate = f"京A{rng.choice('DF')}{rng.choice(letters + '0123456789')}"
                plate += f"{rng.randrange(10**4):04d}"
            else:
                office = rng.choice("ABCEFGHJKLMNPQ" if old else "AN")
                head = rng.choice(letters) if rng.random() < 0.3 else str(rng.randrange(10))
                plate = f"京{office}{head}{rng.randrange(10**4):04d}"
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    # -- sales orders and payments ------------------------------------------------------------

    def _make_orders(self) -> None:
        sequence: Counter[str] = Counter()
        for order in self.orders:  # already in time order
            month = f"{order.order_date:%Y%m}"
            sequence[month] += 1
            lead = order.lead
            order.obj = SalesOrder(
                store=self.store,
                number=f"SO{month}-{sequence[month]:04d}",
                customer=lead.obj,
                consultant=lead.obj.owner,
                deal=order.deal,
                trim=order.trim.obj,
                color=order.color,
                vehicle=order.vehicle,
                status=order.status,
                order_date=order.order_date,
                delivery_date=order.delivery_date,
                vehicle_price=order.vehicle_price,
                discount=order.discount,
                accessories_amount=order.accessories,
                total=order.total,
                financing=order.financing,
                trade_in_value=order.trade_in,
                created_at=order.at,
                **self.order_extras.get(id(order), {}),
            )
            if order.status == OrderStatus.CANCELLED:
                order.obj.notes = "客户取消订单"

    def _plan_payments(self) -> None:
        rng, today = self.rng, self.today
        methods = _Picker(
            (
                (PaymentMethod.WECHAT, 40),
                (PaymentMethod.CARD, 30),
                (PaymentMethod.ALIPAY, 15),
                (PaymentMethod.TRANSFER, 15),
            )
        )
        prefixes = {
            PaymentMethod.WECHAT: "WX",
            PaymentMethod.ALIPAY: "ZFB",
            PaymentMethod.CARD: "POS",
            PaymentMethod.TRANSFER: "TR",
            PaymentMethod.LOAN: "DK",
            PaymentMethod.CASH: "",
        }
        payments: list[Payment] = []

        def pay(order, kind, method, amount, day, notes=""):
            prefix = prefixes[method]
            reference = f"{prefix}{day:%Y%m%d}{rng.randrange(10**6):06d}" if prefix else ""
            payments.append(
                Payment(
                    order=order.obj,
                    kind=kind,
                    method=method,
                    amount=money(amount),
                    received_on=day,
                    reference=reference,
                    notes=notes,
                    created_at=self.moment(day, "office"),
                )
            )

        for order in self.orders:
            lead = order.lead
            deposit = Decimal("10000") if order.trim.guide >= Decimal("200000") else Decimal("5000")
            method = PaymentMethod.TRANSFER if lead.is_org else methods(rng)
            pay(order, PaymentKind.DEPOSIT, method, deposit, order.order_date)
            if order.status == OrderStatus.CANCELLED:
                pay(order, PaymentKind.REFUND, method, deposit, order.cancelled_on, "定金退还")
                continue
            if order.status == OrderStatus.CONFIRMED:
                continue
            if order.status == OrderStatus.ALLOCATED:
                if not order.paid_in_full:
                    continue
                age = (today - order.order_date).days
                due = today - timedelta(days=rng.randint(0, max(0, age)))
                shortfall = Decimal("0")
            else:
                due = max(order.order_date, order.delivery_date - timedelta(days=rng.randint(0, 3)))
                shortfall = (
                    Decimal(rng.randint(5, 40) * 100) if rng.random() < 0.04 else Decimal("0")
                )
            remaining = order.total - order.trade_in - deposit
            final_method = (
                PaymentMethod.TRANSFER
                if lead.is_org
                else rng.choice((PaymentMethod.CARD, PaymentMethod.TRANSFER))
            )
            if order.financing == FinancingKind.LOAN:
                down = round_money(order.total * Decimal(f"{rng.uniform(0.2, 0.4):.3f}"), 1000)
                down -= deposit + order.trade_in
                if down >= Decimal("1000"):
                    down_day = max(order.order_date, due - timedelta(days=rng.randint(0, 2)))
                    pay(order, PaymentKind.DOWN_PAYMENT, final_method, down, down_day)
                    remaining -= down
                if shortfall:
                    # The loan is paid in full; the customer still owes for accessories.
                    pay(
                        order,
                        PaymentKind.LOAN,
                        PaymentMethod.LOAN,
                        remaining - shortfall,
                        due,
                        "尚欠精品款",
                    )
                else:
                    pay(order, PaymentKind.LOAN, PaymentMethod.LOAN, remaining, due)
                order.loan_amount, order.loan_paid_on = money(remaining - shortfall), due
            else:
                notes = "尾款未结清" if shortfall else ""
                pay(order, PaymentKind.BALANCE, final_method, remaining - shortfall, due, notes)
        self.payments = payments

    def _finish_orders(self) -> None:
        """The car loan's steps from the payments, then the gross profit by the service's rule."""
        rng, today = self.extra, self.today
        lender = _Picker(data.LENDERS)
        for order in self.orders:
            obj = order.obj
            if order.financing == FinancingKind.LOAN:
                self._loan(order, obj, lender(rng), rng, today)
            obj.gross_profit = compose_gross_profit(
                vehicle_price=obj.vehicle_price,
                discount=obj.discount,
                vehicle_cost=order.vehicle.cost if order.vehicle is not None else None,
                lines=[(price, cost) for _name, price, cost in order.lines],
                insurance_commission=obj.insurance_commission,
                loan_commission=obj.loan_commission,
            ).total

    @staticmethod
    def _loan(order: _OrderPlan, obj: SalesOrder, lender: str, rng, today: date) -> None:
        applied = min(order.order_date + timedelta(days=rng.randint(0, 2)), today)
        if order.loan_paid_on is not None:
            status, amount = LoanStatus.DISBURSED, order.loan_amount
            applied = min(applied, order.loan_paid_on)
        else:
            share = Decimal(f"{rng.uniform(0.55, 0.75):.3f}")
            amount = round_money((order.total - order.trade_in) * share, 1000)
            if order.status == OrderStatus.CANCELLED:
                status = LoanStatus.REJECTED if rng.random() < 0.5 else LoanStatus.NONE
            elif order.status == OrderStatus.ALLOCATED:
                status = LoanStatus.APPROVED
            else:
                status = LoanStatus.APPLIED if (today - order.order_date).days >= 2 else ""
        if not status:
            return
        obj.loan_status, obj.loan_lender, obj.loan_amount = status, lender, amount
        obj.loan_applied_on = applied
        if status in (LoanStatus.APPROVED, LoanStatus.DISBURSED):
            last = order.loan_paid_on or today
            obj.loan_approved_on = min(applied + timedelta(days=rng.randint(1, 5)), last)
        if status == LoanStatus.DISBURSED:
            obj.loan_disbursed_on = order.loan_paid_on
        if status != LoanStatus.REJECTED:
            obj.loan_commission = round_money(
                amount * Decimal(f"{rng.uniform(0.02, 0.035):.4f}"), 1
            )

    # -- activities ---------------------------------------------------------------------------

    def _plan_activities(self) -> None:
        rng, size = self.rng, self.size
        done: list[Activity] = []
        # 1. The contacts that define each customer's last contact (and orders, deliveries).
        per_cell: Counter[tuple[int, date]] = Counter()
        self._load: Counter[tuple[int, date]] = Counter()  # activities per customer and day
        for lead in self.leads:
            for event in lead.events:
                done.append(
                    self._activity(
                        lead, event.kind, event.when, event.outcome, event.notes, event.next_step
                    )
                )
                self._load[(id(lead), event.when.date())] += 1
                if event.kind == ActivityKind.CALL:
                    per_cell[(lead.owner_index, event.when.date())] += 1
        budget = size.activities - len(done)
        if budget < 0:
            raise DemoDataError("not enough activities for the customers' contacts")
        # 2. Everything else: a calls quota in the last days, a thinner history before.
        fill = self._fill_counts(budget, per_cell)
        by_owner: dict[int, list[_Lead]] = defaultdict(list)
        for lead in self.leads:
            if lead.last_ts is not None:
                by_owner[lead.owner_index].append(lead)
        for leads in by_owner.values():
            leads.sort(key=lambda lead: lead.created_ts)
        self._owner_leads = by_owner
        self._owner_created = {k: [lead.created_ts for lead in v] for k, v in by_owner.items()}
        call_outcome = _Picker(OUTCOMES[ActivityKind.CALL])
        other_outcomes = {kind: _Picker(pairs) for kind, pairs in OUTCOMES.items()}
        weekday_kinds = _Picker(OTHER_KINDS_WEEKDAY)
        weekend_kinds = _Picker(OTHER_KINDS_WEEKEND)
        shortfall = 0
        self.fallbacks = 0
        for (owner_index, day), (n_calls, n_other) in fill.items():
            kinds = [ActivityKind.CALL] * n_calls
            other = weekend_kinds if day.weekday() >= 5 else weekday_kinds
            kinds += [other(rng) for _ in range(n_other)]
            for kind in kinds:
                when = self.moment(day, kind)
                lead = self._eligible(owner_index, when)
                earlier = 0
                while lead is None and earlier < 5:  # the day before, then the one before...
                    earlier += 1
                    when = self.moment(day - timedelta(days=earlier), kind)
                    lead = self._eligible(owner_index, when)
                if lead is None:
                    self.fallbacks += 1
                    lead, when = self._fallback(owner_index, kind)
                    if lead is None:
                        shortfall += 1
                        continue
                self._load[(id(lead), when.date())] += 1
                outcome = (call_outcome if kind == ActivityKind.CALL else other_outcomes[kind])(rng)
                done.append(self._fill_activity(lead, kind, when, outcome))
        for _ in range(shortfall):  # pragma: no cover - only for degenerate sizes
            owner_index = rng.randrange(len(self.consultants))
            lead, when = self._fallback(owner_index, ActivityKind.CALL)
            if lead is not None:
                done.append(self._fill_activity(lead, ActivityKind.CALL, when, call_outcome(rng)))
        # 3. Planned follow-ups in the next two weeks.
        planned: list[Activity] = []
        horizon = self.now + timedelta(days=PLANNED_DAYS)
        for lead in self.leads:
            due = lead.obj.next_follow_up_at
            if lead.is_new or due is None or not (self.now < due <= horizon):
                continue
            planned.append(self._planned_activity(lead, due))
        self.activities = done + planned
        self.ctx.counts["activities (done)"] += len(done)
        self.ctx.counts["activities (planned)"] += len(planned)

    def _fill_counts(
        self, budget: int, anchor_calls: Counter
    ) -> dict[tuple[int, date], tuple[int, int]]:
        """(calls, other activities) per consultant and day, adding up to ``budget``."""
        rng, today = self.rng, self.today
        n = len(self.consultants)
        days = [today - timedelta(days=k) for k in range(HISTORY_DAYS)]
        result: dict[tuple[int, date], tuple[int, int]] = {}
        # The last days: close to the quota (most consultants a bit below it).
        plateau: list[tuple[int, date, int, int]] = []
        for k, day in enumerate(days[:PLATEAU_DAYS]):
            wd = day.weekday()
            for c in range(n):
                if wd == self.rest_day[c]:
                    calls = 0
                else:
                    calls = CALL_QUOTA * self.efficiency[c] * CALL_WEEKDAY[wd]
                    calls *= rng.uniform(0.88, 1.05) * (0.45 if k == 0 else 1.0)
                    calls = max(0, round(calls) - anchor_calls[(c, day)])
                ratio = OTHER_PER_CALL_WEEKEND if wd >= 5 else OTHER_PER_CALL_WEEKDAY
                other = round(calls * ratio) if calls else 0
                plateau.append((c, day, calls, other))
        plateau_total = sum(calls + other for _c, _d, calls, other in plateau)
        cap = int(budget * 0.45)
        factor = min(1.0, cap / plateau_total) if plateau_total else 1.0
        used = 0
        for c, day, calls, other in plateau:
            calls, other = int(calls * factor), int(other * factor)
            if calls or other:
                result[(c, day)] = (calls, other)
                used += calls + other
        # Before: a thinner history that grows towards the present, with seasons and days off.
        cells, weights = [], []
        for k, day in enumerate(days[PLATEAU_DAYS:], start=PLATEAU_DAYS):
            wd = day.weekday()
            base = ACTIVITY_SEASON[day.month] * ACTIVITY_WEEKDAY[wd]
            base *= 1.0 + 4.0 * math.exp(-(k - PLATEAU_DAYS) / 15) + 0.3 * (1 - k / HISTORY_DAYS)
            for c in range(n):
                rest = 0.05 if wd == self.rest_day[c] else 1.0
                cells.append((c, day))
                weights.append(base * rest * self.owner_weights[c])
        remaining = max(0, budget - used)
        total_weight = sum(weights)
        expected = [remaining * w / total_weight for w in weights]
        counts = [int(e) for e in expected]
        short = remaining - sum(counts)
        by_fraction = sorted(range(len(cells)), key=lambda i: (counts[i] - expected[i], i))
        for i in by_fraction[:short]:
            counts[i] += 1
        for (c, day), count in zip(cells, counts, strict=True):
            if not count:
                continue
            call_share = 0.5 if day.weekday() >= 5 else 0.68
            calls = sum(1 for _ in range(count) if rng.random() < call_share)
            result[(c, day)] = (calls, count - calls)
        return result

    def _eligible(self, owner_index: int, when: datetime) -> _Lead | None:
        """A customer of this consultant who existed at ``when`` and was contacted later."""
        created = self._owner_created.get(owner_index)
        if not created:
            return None
        ts = when.timestamp()
        k = bisect.bisect_right(created, ts)
        if k == 0:
            return None
        leads = self._owner_leads[owner_index]
        rng, load, day = self.rng, self._load, when.date()
        for _ in range(24):
            lead = leads[k - 1 - int(k * rng.random() ** 1.7)]
            if lead.last_ts > ts and load[(id(lead), day)] < MAX_PER_DAY:
                return lead
        for j in range(k - 1, -1, -1):
            lead = leads[j]
            if lead.last_ts > ts and load[(id(lead), day)] < MAX_PER_DAY:
                return lead
        return None

    def _fallback(self, owner_index: int, kind: str) -> tuple[_Lead | None, datetime | None]:
        """Any day strictly inside one of the consultant's customer relationships."""
        rng = self.rng
        first_day = self.today - timedelta(days=HISTORY_DAYS - 1)
        leads = list(self._owner_leads.get(owner_index, ()))
        rng.shuffle(leads)
        for lead in leads:
            low = max(lead.obj.created_at.date() + timedelta(days=1), first_day)
            high = lead.obj.last_contact_at.date() - timedelta(days=1)
            if low <= high:
                day = low + timedelta(days=rng.randint(0, (high - low).days))
                if self._load[(id(lead), day)] < MAX_PER_DAY:
                    return lead, self.moment(day, kind)
        return None, None

    def _fill_activity(self, lead: _Lead, kind: str, when: datetime, outcome: str) -> Activity:
        rng = self.rng
        if outcome == Outcome.NO_ANSWER:
            notes, next_step = rng.choice(data.NO_ANSWER_NOTES), "稍后再拨"
        else:
            notes = self._text(rng.choice(NOTES[kind]), self._series_name(lead))
            next_step = rng.choice(data.NEXT_STEPS) if rng.random() < 0.6 else ""
        return self._activity(lead, kind, when, outcome, notes, next_step)

    def _activity(
        self, lead: _Lead, kind: str, when: datetime, outcome: str, notes: str, next_step: str
    ) -> Activity:
        rng = self.rng
        if kind == ActivityKind.CALL:
            duration = rng.randint(0, 1) if outcome == Outcome.NO_ANSWER else rng.randint(2, 15)
        elif kind == ActivityKind.MESSAGE:
            duration = None
        elif kind == ActivityKind.VISIT:
            duration = rng.randint(30, 120)
        elif kind == ActivityKind.TEST_DRIVE:
            duration = rng.randint(20, 45)
        else:
            duration = rng.randint(20, 90)
        return Activity(
            store=self.store,
            customer=lead.obj,
            owner=lead.obj.owner,
            kind=kind,
            status=ActivityStatus.DONE,
            done_at=when,
            duration_minutes=duration,
            outcome=outcome,
            location=self._location(lead, kind),
            notes=notes,
            next_step=next_step,
            is_important=rng.random() < 0.01,
            created_at=when,
        )

    def _location(self, lead: _Lead, kind: str) -> str:
        if kind == ActivityKind.VISIT:
            return lead.obj.address
        if kind == ActivityKind.RECEPTION:
            return "展厅"
        if kind == ActivityKind.TEST_DRIVE:
            return self.rng.choice(("标准试驾路线", "高速试驾路线"))
        return ""

    def _planned_activity(self, lead: _Lead, due: datetime) -> Activity:
        rng = self.rng
        kinds = {
            "H": (
                (ActivityKind.RECEPTION, 35),
                (ActivityKind.TEST_DRIVE, 25),
                (ActivityKind.CALL, 40),
            ),
            "A": ((ActivityKind.CALL, 70), (ActivityKind.RECEPTION, 20), (ActivityKind.VISIT, 10)),
            "B": ((ActivityKind.CALL, 85), (ActivityKind.MESSAGE, 15)),
            "C": ((ActivityKind.CALL, 85), (ActivityKind.MESSAGE, 15)),
            "O": ((ActivityKind.CALL, 100),),
        }[lead.level]
        kind = rng.choices([k for k, _w in kinds], weights=[w for _k, w in kinds])[0]
        previous = lead.events[-1].next_step if lead.events else ""
        return Activity(
            store=self.store,
            customer=lead.obj,
            owner=lead.obj.owner,
            kind=kind,
            status=ActivityStatus.PLANNED,
            planned_at=due,
            location=self._location(lead, kind),
            notes=previous or "例行跟进",
            next_step="",
            is_important=rng.random() < 0.12,
            created_at=lead.obj.last_contact_at,
        )

    # -- showroom traffic ---------------------------------------------------------------------

    def _plan_traffic(self) -> None:
        rng, today, now = self.rng, self.today, self.now
        total = self.size.traffic
        linked_target = round(total * 0.6)
        horizon = now - timedelta(days=HISTORY_DAYS)
        entries: list[TrafficEntry] = []
        # First visits: the customers who came in through the showroom, phone or web.
        firsts = [
            lead
            for lead in self.leads
            if lead.obj.source in SOURCE_WINDOW and lead.obj.created_at >= horizon
        ]
        firsts = rng.sample(firsts, k=min(len(firsts), round(linked_target * 0.55)))
        firsts.sort(key=lambda lead: lead.created_ts)
        kind_of = {
            SourceChannel.WALK_IN: TrafficKind.WALK_IN,
            SourceChannel.PHONE_IN: TrafficKind.CALL_IN,
            SourceChannel.ONLINE: TrafficKind.ONLINE,
        }
        for lead in firsts:
            customer = lead.obj
            entries.append(
                self._traffic(
                    kind_of[customer.source],
                    customer.created_at,
                    VisitType.FIRST,
                    lead=lead,
                )
            )
        # Repeat visits of customers in the middle of buying.
        weights = {"H": 4, "A": 3, "O": 3, "D": 2, "B": 1.5, "C": 0.5, "F": 0.5}
        repeat_pool = []
        for lead in self.leads:
            if lead.last_ts is None:
                continue
            low = max(lead.obj.created_at.date() + timedelta(days=1), horizon.date())
            high = lead.obj.last_contact_at.date() - timedelta(days=1)
            if low <= high:
                repeat_pool.append((lead, low, high))
        picker = _Picker((item, weights[item[0].level]) for item in repeat_pool)
        # Typically a third of first visitors come back (再回展厅率 around 30-40%).
        repeats = min(linked_target - len(firsts), round(len(firsts) * REPEAT_SHARE))
        for _ in range(repeats if repeat_pool else 0):
            lead, low, high = picker(rng)
            day = low + timedelta(days=rng.randint(0, (high - low).days))
            kind = TrafficKind.WALK_IN if rng.random() < 0.85 else TrafficKind.CALL_IN
            when = self.moment(day, "walk_in" if kind == TrafficKind.WALK_IN else "call_in")
            entries.append(self._traffic(kind, when, VisitType.REPEAT, lead=lead))
        # Visitors who left no details (or only a name).
        days = [today - timedelta(days=k) for k in range(HISTORY_DAYS)]
        day_picker = _Picker(
            (d, ACTIVITY_SEASON[d.month] * TRAFFIC_WEEKDAY[d.weekday()] * (0.45 if k == 0 else 1))
            for k, d in enumerate(days)
        )
        kinds = _Picker(
            ((TrafficKind.WALK_IN, 55), (TrafficKind.CALL_IN, 30), (TrafficKind.ONLINE, 15))
        )
        windows = {
            TrafficKind.WALK_IN: "walk_in",
            TrafficKind.CALL_IN: "call_in",
            TrafficKind.ONLINE: "online",
        }
        while len(entries) < total:
            kind = kinds(rng)
            when = self.moment(day_picker(rng), windows[kind])
            visit_type = VisitType.FIRST if rng.random() < 0.85 else VisitType.REPEAT
            entries.append(self._traffic(kind, when, visit_type, lead=None))
        self.traffic = entries

    def _traffic(self, kind: str, when: datetime, visit_type: str, *, lead: _Lead | None):
        rng, ctx = self.rng, self.ctx
        walk_in = kind == TrafficKind.WALK_IN
        entry = TrafficEntry(
            store=self.store,
            kind=kind,
            arrived_at=when,
            visit_type=visit_type,
            party_size=rng.choices((1, 2, 3, 4), weights=(35, 40, 18, 7))[0] if walk_in else 1,
            test_drive=walk_in and rng.random() < 0.5,
            wechat_added=rng.random() < 0.6,
            created_at=when,
        )
        if walk_in:
            minutes = rng.randint(45, 90) if entry.test_drive else rng.randint(20, 90)
            left = when + timedelta(minutes=minutes)
            entry.left_at = left if left <= self.now else None
        else:
            delay = rng.randint(0, 2) if kind == TrafficKind.CALL_IN else rng.randint(3, 180)
            response = when + timedelta(minutes=delay, seconds=rng.randint(5, 59))
            entry.first_response_at = response if response <= self.now else None
        if lead is not None:
            customer = lead.obj
            entry.customer = customer
            entry.consultant = customer.owner
            entry.visitor_name = customer.name
            entry.visitor_phone = customer.phone
            entry.channel = customer.source
            entry.series = self._own_series(lead)
        else:
            entry.channel = {
                TrafficKind.WALK_IN: SourceChannel.WALK_IN,
                TrafficKind.CALL_IN: SourceChannel.PHONE_IN,
                TrafficKind.ONLINE: SourceChannel.ONLINE,
            }[kind]
            if walk_in and rng.random() < 0.1:
                entry.channel = rng.choice((SourceChannel.REFERRAL, SourceChannel.EVENT))
            entry.series = self.catalog.pick_series(rng) if rng.random() < 0.85 else None
            if kind == TrafficKind.ONLINE and rng.random() < 0.1:
                entry.consultant = None
            else:
                entry.consultant = self.consultants[self.pick_owner(rng)]
            if rng.random() < 0.55:
                gender = Gender.MALE if rng.random() < 0.6 else Gender.FEMALE
                surname, _given = ctx.person_name(gender)
                entry.visitor_name = surname + ("先生" if gender == Gender.MALE else "女士")
            if rng.random() < (0.25 if walk_in else 0.6):
                entry.visitor_phone = ctx.mobile()
        series_name = entry.series.name if entry.series is not None else None
        entry.notes = self._text(rng.choice(data.TRAFFIC_NOTES), series_name)
        return entry

    # -- phone appointments that bring the customer in ----------------------------------------

    def _plan_appointment_shows(self) -> None:
        """A showroom visit within a week for most calls that booked one (邀约到店率 ~60 %).

        Only adds receptions, on days strictly inside the customer's timeline, so every other
        row stays as it was.
        """
        rng, catalog = self.shows, self.catalog
        came: dict[int, list[datetime]] = defaultdict(list)
        for activity in self.activities:
            if activity.status == ActivityStatus.DONE and activity.kind in (
                ActivityKind.RECEPTION,
                ActivityKind.TEST_DRIVE,
            ):
                came[id(activity.customer)].append(activity.done_at)
        for entry in self.traffic:
            if entry.customer is not None and entry.kind == TrafficKind.WALK_IN:
                came[id(entry.customer)].append(entry.arrived_at)
        booked = [
            activity
            for activity in self.activities
            if activity.status == ActivityStatus.DONE
            and activity.kind == ActivityKind.CALL
            and activity.outcome == Outcome.APPOINTMENT
        ]
        missed = [
            call
            for call in booked
            if not any(
                call.done_at <= t < call.done_at + SHOW_WINDOW for t in came[id(call.customer)]
            )
        ]
        shown = 1 - len(missed) / len(booked) if booked else 1.0
        # Of the calls not yet followed by a visit, this share gets one (those whose customer
        # is contacted again later, the visit coming before then).
        share = max(0.0, (APPOINTMENT_SHOW_RATE - shown) / (1 - shown)) if shown < 1 else 0.0
        lead_of = {id(lead.obj): lead for lead in self.leads}
        candidates = [
            call
            for call in missed
            if call.done_at + timedelta(days=2) < lead_of[id(call.customer)].obj.last_contact_at
        ]
        added = []
        outcome = _Picker(((Outcome.QUOTED, 45), (Outcome.REACHED, 40), (Outcome.APPOINTMENT, 15)))
        for call in candidates:
            if rng.random() >= share:
                continue
            lead = lead_of[id(call.customer)]
            customer = lead.obj
            day = call.done_at.date() + timedelta(days=rng.randint(1, 7))
            when = self.moment(day, ActivityKind.RECEPTION, rng=rng)
            if (
                not call.done_at < when < customer.last_contact_at
                or when > self.now
                or self._load[(id(lead), day)] >= MAX_PER_DAY
            ):
                continue
            self._load[(id(lead), day)] += 1
            trim = customer.intended_trim
            info = catalog.own_by_pk.get(trim.pk) if trim is not None else None
            series = info.series.name if info is not None else rng.choice(catalog.series).name
            added.append(
                Activity(
                    store=self.store,
                    customer=customer,
                    owner=customer.owner,
                    kind=ActivityKind.RECEPTION,
                    status=ActivityStatus.DONE,
                    done_at=when,
                    duration_minutes=rng.randint(30, 90),
                    outcome=outcome(rng),
                    location="展厅",
                    notes=rng.choice(data.APPOINTMENT_VISIT_NOTES).format(
                        series=series, competitor=rng.choice(catalog.competitor_labels)
                    ),
                    next_step=rng.choice(data.NEXT_STEPS) if rng.random() < 0.6 else "",
                    created_at=when,
                )
            )
        self.activities.extend(added)
        self.ctx.counts["activities (done)"] += len(added)

    # -- level history ------------------------------------------------------------------------

    def _level_history(self) -> list[LevelChange]:
        """A card's first level and, for most, one move to where it stands now (D via O).

        Gives the monthly level report (意向客户级别状况表) moves to count in the demo.
        """
        rng = self.rng
        # Where a card started: mostly colder than now, some C leads cooled down from B.
        colder = {"H": "AB", "A": "BC", "B": "C", "C": "B", "O": "HA", "D": "HA", "F": "BC"}
        changes = []
        for lead in self.leads:
            customer = lead.obj
            current = customer.intention_level
            first = current
            if current in colder and (current in "ODF" or rng.random() < 0.6):
                first = rng.choice(colder[current])
            opened = customer.created_at
            changes.append(
                LevelChange(customer=customer, from_level="", to_level=first, changed_at=opened)
            )
            if first == current:
                continue
            last = customer.last_contact_at or opened
            moment = opened + (last - opened) * rng.uniform(0.3, 0.9)
            if current == "D":
                changes.append(
                    LevelChange(
                        customer=customer, from_level=first, to_level="O", changed_at=moment
                    )
                )
                first, moment = "O", last
            changes.append(
                LevelChange(
                    customer=customer, from_level=first, to_level=current, changed_at=moment
                )
            )
        return changes

    # -- writing ------------------------------------------------------------------------------

    def _save(self) -> None:
        ctx, store = self.ctx, self.store
        customers = [lead.obj for lead in self.leads]
        Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)
        for contact in self.contacts:
            contact.created_at = contact.customer.created_at
        Contact.objects.bulk_create(self.contacts, batch_size=BATCH_SIZE)
        Deal.objects.bulk_create(self.deals, batch_size=BATCH_SIZE)
        changes = [
            StageChange(deal=deal, from_stage=before, to_stage=stage, changed_at=at, changed_by=by)
            for deal, before, stage, at, by in self.stage_changes
        ]
        StageChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
        Vehicle.objects.bulk_create(self.vehicles, batch_size=BATCH_SIZE)
        orders = [order.obj for order in self.orders]
        SalesOrder.objects.bulk_create(orders, batch_size=BATCH_SIZE)
        lines = [
            AccessoryLine(
                order=order.obj,
                position=position,
                name=name,
                price=price,
                cost=cost,
                created_at=order.obj.created_at,
            )
            for order in self.orders
            for position, (name, price, cost) in enumerate(order.lines)
        ]
        AccessoryLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
        Payment.objects.bulk_create(self.payments, batch_size=BATCH_SIZE)
        Activity.objects.bulk_create(self.activities, batch_size=BATCH_SIZE)
        TrafficEntry.objects.bulk_create(self.traffic, batch_size=BATCH_SIZE)
        LevelChange.objects.bulk_create(self._level_history(), batch_size=BATCH_SIZE)
        # "Updated" as of the last thing that happened, not as of the seeding run.
        created = F("created_at")
        last_or_created = Coalesce("last_contact_at", "created_at")
        Store.objects.filter(pk=store.pk).update(updated_at=created)
        Team.objects.filter(store=store).update(updated_at=created)
        Pipeline.objects.filter(store=store).update(updated_at=created)
        Stage.objects.filter(pipeline__store=store).update(updated_at=created)
        Customer.objects.filter(store=store).update(updated_at=last_or_created)
        Contact.objects.filter(customer__store=store).update(updated_at=created)
        Deal.objects.filter(store=store).update(updated_at=last_or_created)
        Vehicle.objects.filter(store=store).update(updated_at=created)
        SalesOrder.objects.filter(store=store).update(updated_at=created)
        Payment.objects.filter(order__store=store).update(updated_at=created)
        AccessoryLine.objects.filter(order__store=store).update(updated_at=created)
        Activity.objects.filter(store=store).update(updated_at=Coalesce("done_at", "created_at"))
        TrafficEntry.objects.filter(store=store).update(updated_at=created)
        ctx.counts["customers"] += len(customers)
        ctx.counts["contacts"] += len(self.contacts)
        ctx.counts["deals"] += len(self.deals)
        ctx.counts["vehicles"] += len(self.vehicles)
        ctx.counts["sales orders"] += len(orders)
        ctx.counts["stage changes"] += len(changes)
        ctx.counts["accessory lines"] += len(lines)
        ctx.counts["payments"] += len(self.payments)
        ctx.counts["traffic entries"] += len(self.traffic)

    # -- plans: the year broken down to months and consultants, as the sales manager would ----

    def _make_plans(self) -> None:
        """Last year's and this year's plans, locked, written through the planning services.

        The targets follow each consultant's own sales: a month's quota (任务) is 95-105 % of
        what the consultant sells in an average month, moved by the season; the goal (目标) is
        a quarter above it; calls and visits are the fixed quotas (30 a day, 20 a week).
        """
        manager = next(u for u in self.users if u.role == Role.SALES_MANAGER)
        history = self._sales_history()
        years = (self.today.year - 1, self.today.year)
        for year in years:
            preview = plan_services.Preview(
                weights_source="history",
                months=months_of(year),
                consultants=list(self.consultants),
                **self._targets(year, history),
            )
            year_plan = plan_services.save_breakdown(manager, self.store, year, preview)
            plan_services.lock_plan(manager, year_plan)
            # Written in early December, locked a week later, before the year starts.
            written = datetime(year - 1, 12, 5, 10, tzinfo=TZ)
            Plan.objects.filter(pk=year_plan.pk).update(
                notes=data.YEAR_PLAN_NOTES.format(year=year)
            )
            ids = [year_plan.pk]
            ids += list(Plan.objects.filter(parent=year_plan).values_list("pk", flat=True))
            ids += list(Plan.objects.filter(parent_id__in=ids[1:]).values_list("pk", flat=True))
            Plan.objects.filter(pk__in=ids).update(
                created_at=written, updated_at=written + timedelta(days=7)
            )
            PlanLine.objects.filter(plan_id__in=ids).update(created_at=written, updated_at=written)
            # Demo rows carry no history records (as everywhere else in the demo).
            Plan.history.filter(id__in=ids).delete()
            self.ctx.counts["plans"] += len(ids)
            self.ctx.counts["plan lines"] += PlanLine.objects.filter(plan_id__in=ids).count()

    def _sales_history(self) -> dict:
        """Per consultant: units in an average month (season taken out), new cards and test
        drives a month; per month: the store's revenue and gross profit per unit sold.

        Only complete months count; a month without history takes the last three months'.
        """
        n = len(self.consultants)
        index_of = {person.pk: i for i, person in enumerate(self.consultants)}
        current = self.today.replace(day=1)
        months = []
        month = current
        for _ in range(max(1, self.size.order_months - 1)):
            month = (month - timedelta(days=1)).replace(day=1)
            months.append(month)
        first = months[-1]
        units = [0] * n
        sold: dict[date, list] = {m: [0, Decimal(0), Decimal(0)] for m in months}
        for order in self.orders:
            if order.status == OrderStatus.CANCELLED or not first <= order.order_date < current:
                continue
            units[order.lead.owner_index] += 1
            month_sold = sold[order.order_date.replace(day=1)]
            month_sold[0] += 1
            month_sold[1] += order.obj.total
            month_sold[2] += order.obj.gross_profit
        per_unit = {
            m: (revenue / count, profit / count)
            for m, (count, revenue, profit) in sold.items()
            if count
        }
        recent = [per_unit[m] for m in months[:3] if m in per_unit] or [
            (Decimal(150000), Decimal(8000))
        ]
        usual = (
            sum((value for value, _p in recent), Decimal(0)) / len(recent),
            sum((profit for _v, profit in recent), Decimal(0)) / len(recent),
        )
        # Cards and test drives over the last (up to) twelve complete months.
        year_ago = months[min(11, len(months) - 1)]
        span = len(months[:12])
        start = datetime.combine(year_ago, time(0), tzinfo=TZ)
        end = datetime.combine(current, time(0), tzinfo=TZ)
        cards, drives = [0] * n, [0] * n
        for lead in self.leads:
            if start <= lead.obj.created_at < end:
                cards[lead.owner_index] += 1
        for activity in self.activities:
            if (
                activity.kind == ActivityKind.TEST_DRIVE
                and activity.status == ActivityStatus.DONE
                and start <= activity.done_at < end
            ):
                drives[index_of[activity.owner_id]] += 1
        season = sum(ORDER_SEASON[m.month] for m in months) / len(months)
        return {
            "units": [u / len(months) / season for u in units],
            "per_unit": per_unit,
            "usual": usual,
            "cards": [c / span for c in cards],
            "drives": [d / span for d in drives],
        }

    def _targets(self, year: int, history: dict) -> dict[str, dict]:
        """A preview's ``by_month`` and ``by_consultant``: people first, months add up."""
        rng = self.targets
        metrics = (
            Metric.UNITS,
            Metric.REVENUE,
            Metric.GROSS_PROFIT,
            Metric.NEW_CARDS,
            Metric.TEST_DRIVES,
            Metric.CALLS,
            Metric.VISITS,
        )
        by_consultant: dict[str, list] = {metric: [] for metric in metrics}
        for month in months_of(year):
            workdays = len(workdays_in_month(year, month.month))
            calls = Decimal(CALL_QUOTA * workdays)
            visits = Decimal(round(VISIT_QUOTA * workdays / 5))
            value, profit = history["per_unit"].get(month, history["usual"])
            parts: dict[str, list] = {metric: [] for metric in metrics}
            for i in range(len(self.consultants)):
                expected = history["units"][i] * ORDER_SEASON[month.month]
                quota = max(1, round(expected * rng.uniform(0.95, 1.05)))
                goal = _goal(quota)
                parts[Metric.UNITS].append((Decimal(quota), Decimal(goal)))
                parts[Metric.REVENUE].append(
                    (round_money(value * quota, 1000), round_money(value * goal, 1000))
                )
                parts[Metric.GROSS_PROFIT].append(
                    (round_money(profit * quota, 100), round_money(profit * goal, 100))
                )
                for metric, key in ((Metric.NEW_CARDS, "cards"), (Metric.TEST_DRIVES, "drives")):
                    quota = max(1, round(history[key][i] * rng.uniform(0.95, 1.05)))
                    parts[metric].append((Decimal(quota), Decimal(_goal(quota))))
                parts[Metric.CALLS].append((calls, calls))
                parts[Metric.VISITS].append((visits, visits))
            for metric in metrics:
                by_consultant[metric].append(parts[metric])
        by_month = {
            metric: [
                (sum((q for q, _g in people), Decimal(0)), sum((g for _q, g in people), Decimal(0)))
                for people in per_month
            ]
            for metric, per_month in by_consultant.items()
        }
        return {"by_month": by_month, "by_consultant": by_consultant}
