"""The plan tables of 篇七 二: 月销售计划表, 月访客户计划表, 月销售统计表, 月访客户统计表,
年度销售总体计划 and 年度销售总结.

Each function returns a ``Report``: plain rows, a totals row and a few facts, money in Decimal
to the fen, for what the viewer may see (``visible_to``) narrowed to a store, team or
consultant. A sale counts as ``planning.progress.order_actuals`` counts it, so these tables
agree with the plan-vs-actual page. Each report runs a fixed number of queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.activities.reports import month_bounds
from dealerplan.catalog.models import Series
from dealerplan.customers.choices import AccountTier
from dealerplan.org.models import Store, User
from dealerplan.planning.choices import Metric, PeriodType, PlanScope
from dealerplan.planning.models import Plan, PlanLine, WorkdayOverride
from dealerplan.planning.pace import RATIO
from dealerplan.planning.progress import (
    PROGRESS_METRICS,
    credited_sales,
    order_actuals,
    workdays_for,
)
from dealerplan.planning.visitplan import (
    STATUS_DONE,
    STATUS_PLANNED,
    STATUS_PROPOSED,
    STATUS_UNSCHEDULED,
    STATUSES,
    TIER_RANK,
    build_visit_plan,
    month_end,
    plan_counts,
    status_labels,
)
from dealerplan.planning.workdays import count_workdays

ZERO = Decimal("0")

# Column kinds: how a value is shown on the page and formatted in Excel.
TEXT = "text"
INT = "int"
UNITS = "units"
MONEY_KIND = "money"
PERCENT = "percent"
DATE = "date"

SALES_PLAN = "sales_plan"
VISIT_PLAN = "visit_plan"
SALES_STATS = "sales_stats"
VISIT_STATS = "visit_stats"
YEAR_PLAN = "year_plan"
YEAR_SUMMARY = "year_summary"

TIERS = (AccountTier.VIP, AccountTier.TIER1, AccountTier.TIER2, AccountTier.OTHER)
PLANNED_TIERS = (AccountTier.VIP, AccountTier.TIER1)


def report_titles() -> dict[str, str]:
    return {
        SALES_PLAN: _("Monthly sales plan"),
        VISIT_PLAN: _("Monthly customer visit plan"),
        SALES_STATS: _("Monthly sales statistics"),
        VISIT_STATS: _("Monthly customer visit statistics"),
        YEAR_PLAN: _("Annual sales plan"),
        YEAR_SUMMARY: _("Annual sales summary"),
    }


# --- the shape every report shares ----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass
class Row:
    cells: dict
    subtotal: bool = False

    def __getitem__(self, key):
        return self.cells.get(key)


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[Row]
    totals: Row | None = None
    note: str = ""  # shown under the table's title on the page, e.g. why rows are not listed


@dataclass
class Report:
    key: str
    title: str
    period_label: str
    scope_label: str
    tables: list[Table]
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    """Whose figures a report shows: the viewer's scope, narrowed to a store, team or person.

    The narrowing only ever filters what ``visible_to(user)`` already returned, so a store,
    team or consultant outside the viewer's scope can only make a report empty.
    """

    user: User
    store: object = None
    team: object = None
    consultant: object = None

    @property
    def by_person(self) -> bool:
        """True when the figures are some consultants' rather than a whole store's."""
        return bool(self.user.sees_only_own or self.team or self.consultant)

    @property
    def store_id(self):
        return self.store.pk if self.store else self.user.store_id

    def includes(self, person) -> bool:
        if self.user.sees_only_own:
            return person.pk == self.user.pk
        if self.store and person.store_id != self.store.pk:
            return False
        if self.team and person.team_id != self.team.pk:
            return False
        return not self.consultant or person.pk == self.consultant.pk

    def people_q(self, path: str = "owner") -> Q:
        """``includes`` as a filter on the person at ``path`` (the same narrowing, in SQL)."""
        condition = Q()
        if self.user.sees_only_own:
            return Q(**{path: self.user.pk})
        if self.store:
            condition &= Q(**{f"{path}__store": self.store.pk})
        if self.team:
            condition &= Q(**{f"{path}__team": self.team.pk})
        if self.consultant:
            condition &= Q(**{path: self.consultant.pk})
        return condition

    @property
    def group_wide(self) -> bool:
        """Every store of the group, not narrowed: too many accounts to list one by one."""
        return self.user.sees_all_stores and not (self.store or self.team or self.consultant)

    def plans(self):
        plans = Plan.objects.visible_to(self.user)
        return plans.filter(store=self.store) if self.store else plans

    @property
    def label(self) -> str:
        if self.store:
            parts = [self.store.name]
        elif self.user.store_id and not self.user.sees_all_stores:
            parts = [self.user.store.name]
        else:
            parts = [_("All stores")]
        if self.user.sees_only_own:
            parts.append(self.user.display_name)
        if self.team:
            parts.append(self.team.name)
        if self.consultant:
            parts.append(self.consultant.display_name)
        return " · ".join(parts)


# --- small arithmetic -----------------------------------------------------------------------


def ratio(actual, target) -> Decimal | None:
    """actual ÷ target to 4 places (0.8750 = 87.5 %); None when there is no target."""
    if target is None or actual is None or target == 0:
        return None
    return (Decimal(actual) / Decimal(target)).quantize(RATIO, rounding=ROUND_HALF_UP)


def _add(a, b):
    """Sum that keeps "no target" apart from a target of 0."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _zero() -> dict:
    return dict.fromkeys(PROGRESS_METRICS, ZERO)


def _metric_kind(metric: str) -> str:
    return MONEY_KIND if metric in Metric.money() else UNITS


def _people(ids) -> dict:
    return {
        person.pk: person for person in User.objects.filter(pk__in=set(ids)).select_related("team")
    }


def _ordered(people) -> list:
    return sorted(people, key=lambda person: (person.username, person.pk))


def _months(year: int) -> list[datetime.date]:
    return [datetime.date(year, number, 1) for number in range(1, 13)]


# --- plan lines -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineTarget:
    """A plan line's two figures; a group's month has thousands of lines, read as plain rows."""

    quota: Decimal
    goal: Decimal


@dataclass
class Targets:
    """One consultant's month plan: the whole month (no series) and per series, per metric."""

    plan: Plan
    overall: dict = field(default_factory=dict)  # metric -> LineTarget
    by_series: dict = field(default_factory=dict)  # series id -> {metric -> LineTarget}
    series_labels: dict = field(default_factory=dict)  # series id -> label

    def whole_month(self, metric: str, attribute: str):
        """The month's quota or goal: its own line, else the sum of its series lines."""
        line = self.overall.get(metric)
        if line is not None:
            return getattr(line, attribute)
        parts = [lines[metric] for lines in self.by_series.values() if metric in lines]
        return sum((getattr(p, attribute) for p in parts), ZERO) if parts else None


def _consultant_targets(selection: Selection, month: datetime.date) -> dict[int, Targets]:
    """Consultant id -> the month's targets, for the consultants the selection includes."""
    plans = [
        plan
        for plan in selection.plans()
        .filter(period_type=PeriodType.MONTH, period_start=month, scope=PlanScope.CONSULTANT)
        .select_related("consultant__team")
        if selection.includes(plan.consultant)
    ]
    targets = {plan.pk: Targets(plan) for plan in plans}
    lines = PlanLine.objects.filter(plan__in=plans, metric__in=PROGRESS_METRICS).values_list(
        "plan_id", "series_id", "metric", "quota", "goal"
    )
    labels: dict = {}
    for plan_id, series_id, metric, quota, goal in lines:
        target = targets[plan_id]
        if series_id is None:
            target.overall[metric] = LineTarget(quota, goal)
        else:
            target.by_series.setdefault(series_id, {})[metric] = LineTarget(quota, goal)
            labels[series_id] = ""
    if labels:
        for pk, brand, name in Series.objects.filter(pk__in=labels).values_list(
            "pk", "brand__name", "name"
        ):
            labels[pk] = Series.label_of(brand, name)
        for target in targets.values():
            target.series_labels = {pk: labels[pk] for pk in target.by_series}
    return {target.plan.consultant_id: target for target in targets.values()}


def _monthly_targets(selection: Selection, year: int) -> dict[datetime.date, dict]:
    """Month -> {metric: (quota, goal)}: the store's month plans, or the people's when narrowed."""
    plans = selection.plans().filter(
        period_type=PeriodType.MONTH,
        period_start__gte=datetime.date(year, 1, 1),
        period_start__lte=datetime.date(year, 12, 1),
        scope=PlanScope.CONSULTANT if selection.by_person else PlanScope.STORE,
    )
    if selection.by_person:
        plans = [p for p in plans.select_related("consultant") if selection.includes(p.consultant)]
    else:
        plans = list(plans)
    month_of = {plan.pk: plan.period_start for plan in plans}
    result: dict = {month: {} for month in _months(year)}
    for line in PlanLine.objects.filter(
        plan__in=plans, metric__in=PROGRESS_METRICS, series__isnull=True
    ):
        quota, goal = result[month_of[line.plan_id]].get(line.metric, (None, None))
        result[month_of[line.plan_id]][line.metric] = (
            _add(quota, line.quota),
            _add(goal, line.goal),
        )
    return result


def _target_cells(get) -> dict:
    """``get(metric, "quota" | "goal")`` for each metric, as row cells."""
    cells = {}
    for metric in PROGRESS_METRICS:
        cells[f"{metric}_quota"] = get(metric, "quota")
        cells[f"{metric}_goal"] = get(metric, "goal")
    return cells


def _target_columns() -> list[Column]:
    columns = []
    for metric in PROGRESS_METRICS:
        label = Metric(metric).label
        columns += [
            Column(
                f"{metric}_quota", _("%(metric)s quota") % {"metric": label}, _metric_kind(metric)
            ),
            Column(
                f"{metric}_goal", _("%(metric)s goal") % {"metric": label}, _metric_kind(metric)
            ),
        ]
    return columns


def _sum_rows(rows: list[Row], keys: list[str]) -> dict:
    totals = dict.fromkeys(keys)
    for row in rows:
        for key in keys:
            totals[key] = _add(totals[key], row[key])
    return totals


# --- sales actuals --------------------------------------------------------------------------


def series_actuals(user, month: datetime.date, narrow: Q | None = None) -> dict:
    """(consultant id, series id) -> {metric: figure} for the month, plus series labels.

    ``credited_sales`` grouped by series as well: the same rule as ``order_actuals``, so each
    consultant's series parts add up exactly to it. Two queries.
    """
    figures = credited_sales(
        user,
        month,
        by=("trim__series", "trim__series__name", "trim__series__brand__name"),
        narrow=narrow,
    )
    result: dict = {}
    labels: dict = {}
    for (person_id, series_id, series_name, brand_name), parts in figures.items():
        labels[series_id] = Series.label_of(brand_name, series_name)
        result[(person_id, series_id)] = parts
    return {"figures": result, "labels": labels}


def _actual_cells(actual: dict, get_target) -> dict:
    cells = {}
    for metric in PROGRESS_METRICS:
        quota, goal = get_target(metric, "quota"), get_target(metric, "goal")
        cells.update(
            {
                f"{metric}_actual": actual[metric],
                f"{metric}_quota": quota,
                f"{metric}_goal": goal,
                f"{metric}_quota_rate": ratio(actual[metric], quota),
                f"{metric}_goal_rate": ratio(actual[metric], goal),
            }
        )
    return cells


def _actual_columns() -> list[Column]:
    columns = []
    for metric in PROGRESS_METRICS:
        label, kind = Metric(metric).label, _metric_kind(metric)
        names = {"metric": label}
        columns += [
            Column(f"{metric}_actual", _("%(metric)s actual") % names, kind),
            Column(f"{metric}_quota", _("%(metric)s quota") % names, kind),
            Column(f"{metric}_goal", _("%(metric)s goal") % names, kind),
            Column(f"{metric}_quota_rate", _("%(metric)s quota completion") % names, PERCENT),
            Column(f"{metric}_goal_rate", _("%(metric)s goal completion") % names, PERCENT),
        ]
    return columns


def _totals_with_rates(rows: list[Row], first: dict) -> Row:
    keys = [f"{m}_{part}" for m in PROGRESS_METRICS for part in ("actual", "quota", "goal")]
    cells = {**first, **_sum_rows(rows, keys)}
    for metric in PROGRESS_METRICS:
        actual = cells[f"{metric}_actual"]
        cells[f"{metric}_quota_rate"] = ratio(actual, cells[f"{metric}_quota"])
        cells[f"{metric}_goal_rate"] = ratio(actual, cells[f"{metric}_goal"])
    return Row(cells, subtotal=True)


def _percent_text(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# --- 月销售计划表 ------------------------------------------------------------------------------


def sales_plan(selection: Selection, month: datetime.date) -> Report:
    """Each consultant's month targets: per series where the plan has series lines, then the
    whole month; the totals row adds up the consultants' whole months."""
    month = month.replace(day=1)
    targets = _consultant_targets(selection, month)
    all_series = _("All series")
    rows, month_rows = [], []
    for target in sorted(
        targets.values(), key=lambda t: (t.plan.consultant.username, t.plan.consultant_id)
    ):
        person = target.plan.consultant
        base = {"consultant": person.display_name, "team": _team_name(person)}
        for series_id, lines in sorted(
            target.by_series.items(), key=lambda item: target.series_labels[item[0]]
        ):
            rows.append(
                Row(
                    {
                        **base,
                        "series": target.series_labels[series_id],
                        **_target_cells(
                            lambda m, a, lines=lines: getattr(lines[m], a) if m in lines else None
                        ),
                    }
                )
            )
        whole = Row(
            {**base, "series": all_series, **_target_cells(target.whole_month)},
            subtotal=bool(target.by_series),
        )
        rows.append(whole)
        month_rows.append(whole)
    columns = [
        Column("consultant", _("Consultant")),
        Column("team", _("Team")),
        Column("series", _("Series")),
        *_target_columns(),
    ]
    keys = [c.key for c in columns[3:]]
    totals = Row({"consultant": _("Total"), **_sum_rows(month_rows, keys)}, subtotal=True)
    total_days, _elapsed = workdays_for(selection.store_id, month, month)
    return Report(
        SALES_PLAN,
        report_titles()[SALES_PLAN],
        f"{month:%Y-%m}",
        selection.label,
        [Table(_("Targets"), columns, rows, totals)],
        facts=[(_("Working days"), str(total_days))],
    )


def _team_name(person) -> str:
    return person.team.name if person.team_id else ""


# --- 月销售统计表 ------------------------------------------------------------------------------


def _person_totals(figures: dict) -> dict:
    """Consultant id -> {metric: figure}: their series parts added up."""
    totals: dict = {}
    for (person_id, _series_id), parts in figures.items():
        bucket = totals.setdefault(person_id, _zero())
        for metric in PROGRESS_METRICS:
            bucket[metric] += parts[metric]
    return totals


def sales_stats(selection: Selection, month: datetime.date, today: datetime.date) -> Report:
    """The month's sales by consultant and series against quota and goal.

    A consultant's subtotal adds up the series rows above it, which is ``order_actuals``
    to the fen (each shared sale is split once, the same way); reading only the selection's
    orders keeps a store's table from splitting every shared sale of the group.
    """
    month = month.replace(day=1)
    user = selection.user
    targets = _consultant_targets(selection, month)
    split = series_actuals(
        user, month, selection.people_q("consultant") | selection.people_q("co_consultant")
    )
    figures, labels = split["figures"], split["labels"]
    actuals = _person_totals(figures)
    people = _people([*actuals, *targets])
    for target in targets.values():
        labels.update(target.series_labels)
    people = [p for p in _ordered(people.values()) if selection.includes(p)]

    all_series = _("All series")
    sold_series: dict = {}  # consultant id -> the series they sold
    for person_id, series_id in figures:
        sold_series.setdefault(person_id, set()).add(series_id)
    rows, subtotals = [], []
    for person in people:
        target = targets.get(person.pk)
        base = {"consultant": person.display_name, "team": _team_name(person)}
        series_ids = set(sold_series.get(person.pk, ()))
        series_ids |= set(target.by_series) if target else set()
        for series_id in sorted(series_ids, key=lambda sid: labels.get(sid, "")):
            lines = target.by_series.get(series_id, {}) if target else {}
            rows.append(
                Row(
                    {
                        **base,
                        "series": labels.get(series_id, ""),
                        **_actual_cells(
                            figures.get((person.pk, series_id), _zero()),
                            lambda m, a, lines=lines: getattr(lines[m], a) if m in lines else None,
                        ),
                    }
                )
            )
        subtotal = Row(
            {
                **base,
                "series": all_series,
                **_actual_cells(
                    actuals.get(person.pk, _zero()),
                    target.whole_month if target else (lambda m, a: None),
                ),
            },
            subtotal=bool(series_ids),
        )
        rows.append(subtotal)
        subtotals.append(subtotal)
    columns = [
        Column("consultant", _("Consultant")),
        Column("team", _("Team")),
        Column("series", _("Series")),
        *_actual_columns(),
    ]
    totals = _totals_with_rates(subtotals, {"consultant": _("Total")})
    total_days, elapsed = workdays_for(selection.store_id, month, today)
    return Report(
        SALES_STATS,
        report_titles()[SALES_STATS],
        f"{month:%Y-%m}",
        selection.label,
        [Table(_("Sales"), columns, rows, totals)],
        facts=[
            (_("Working days"), f"{elapsed} / {total_days}"),
            (_("Time elapsed"), _percent_text(ratio(elapsed, total_days))),
        ],
    )


# --- 月访客户计划表 and 月访客户统计表 ----------------------------------------------------------


def _counted(plan) -> dict:
    """(consultant's store id, tier) -> {status: accounts} of the listed rows, as
    ``plan_counts(by="owner__store")`` counts them in SQL."""
    counts: dict = {}
    for row in plan.rows:
        key = (row.consultant.store_id, row.customer.account_tier)
        counts.setdefault(key, dict.fromkeys(STATUSES, 0))[row.status] += 1
    return counts


def _status_cells(buckets) -> dict:
    """The accounts and how many are in each status, over some {status: accounts} buckets."""
    cells = dict.fromkeys(STATUSES, 0)
    for bucket in buckets:
        for status, number in bucket.items():
            cells[status] += number
    return {"accounts": sum(cells.values()), **cells}


def visit_plan(
    selection: Selection, month: datetime.date, now=None, accounts: bool | None = None
) -> Report:
    """月访客户计划表 from ``planning.visitplan``: a count by tier, then every account to visit.

    Group-wide (every store, nothing narrowed) the page counts the accounts by store, in SQL,
    instead of listing tens of thousands of them; ``accounts=True`` (the Excel file) lists
    them all the same. A store, team or consultant gets the complete list.
    """
    month = month.replace(day=1)
    if accounts is None:
        accounts = not selection.group_wide
    narrow = selection.people_q()
    plan = None
    if accounts:
        plan = build_visit_plan(selection.user, month, now=now, narrow=narrow)
        counts = _counted(plan)
    else:
        counts = plan_counts(selection.user, month, now, by="owner__store", narrow=narrow)
    count_columns = [
        Column("accounts", _("Accounts to visit"), INT),
        Column(STATUS_DONE, _("Visited this month"), INT),
        Column(STATUS_PLANNED, _("Planned"), INT),
        Column(STATUS_PROPOSED, _("Proposed"), INT),
        Column(STATUS_UNSCHEDULED, _("No working day left"), INT),
    ]
    keys = [c.key for c in count_columns]
    summary = [
        Row(
            {
                "tier": str(AccountTier(tier).label),
                **_status_cells(v for (_store, t), v in counts.items() if t == tier),
            }
        )
        for tier in PLANNED_TIERS
    ]
    summary_totals = Row({"tier": _("Total"), **_sum_rows(summary, keys)}, subtotal=True)
    tables = [
        Table(
            _("By tier"),
            [Column("tier", _("Account tier")), *count_columns],
            summary,
            summary_totals,
        )
    ]
    if selection.group_wide:
        stores = Store.objects.filter(pk__in={store_id for store_id, _tier in counts})
        by_store = [
            Row(
                {
                    "store": store.name,
                    **_status_cells(v for (s, _t), v in counts.items() if s == store.pk),
                }
            )
            for store in stores.order_by("code", "pk")
        ]
        tables.append(
            Table(
                _("By store"),
                [Column("store", _("Store")), *count_columns],
                by_store,
                Row({"store": _("Total"), **_sum_rows(by_store, keys)}, subtotal=True),
                note="" if accounts else _("Choose a store to list each account to visit."),
            )
        )
    if plan is not None:
        tables.append(_visit_accounts(plan))
    overrides = _overrides(selection.store_id, month, month_end(month))
    return Report(
        VISIT_PLAN,
        report_titles()[VISIT_PLAN],
        f"{month:%Y-%m}",
        selection.label,
        tables,
        facts=[(_("Working days"), str(count_workdays(month, month_end(month), overrides)))],
    )


def _visit_accounts(plan) -> Table:
    """Every account of the plan: by tier, then by visit date."""
    columns = [
        Column("tier", _("Account tier")),
        Column("customer", _("Customer")),
        Column("consultant", _("Consultant")),
        Column("district", _("District")),
        Column("last_visit", _("Last visit"), DATE),
        Column("date", _("Visit date"), DATE),
        Column("status", _("Status")),
    ]
    tiers = {value: str(label) for value, label in AccountTier.choices}
    statuses = status_labels()
    zone = timezone.get_current_timezone()
    rows = [
        Row(
            {
                "tier": tiers.get(row.customer.account_tier, row.customer.account_tier),
                "customer": row.customer.name,
                "consultant": row.consultant.display_name,
                "district": row.customer.district,
                "last_visit": row.last_visit_at.astimezone(zone).date()
                if row.last_visit_at
                else None,
                "date": row.date,
                "status": statuses[row.status],
            }
        )
        for row in sorted(
            plan.rows,
            key=lambda r: (
                TIER_RANK.get(r.customer.account_tier, 9),
                r.date or datetime.date.max,
                r.customer.name,
                r.customer.pk,
            ),
        )
    ]
    return Table(_("Accounts"), columns, rows)


def visit_stats(selection: Selection, month: datetime.date, now=None) -> Report:
    """月访客户统计表: the visit plan's accounts visited, and every visit done, by tier and by
    consultant. Tiers are the customers' current ones.

    The plan is counted in SQL by ``plan_counts`` and the visits in one grouped pass (per
    consultant and customer), so no account, activity or visit is loaded as an object.
    A customer has one tier, so the customers a consultant visited add up over the tiers;
    across consultants they are counted once, by tier. Five queries.
    """
    month = month.replace(day=1)
    user = selection.user
    narrow = selection.people_q()
    counts = plan_counts(user, month, now, by="owner", narrow=narrow)
    start, end = month_bounds(month)
    done = (
        Activity.objects.visible_to(user)
        .filter(
            kind=ActivityKind.VISIT,
            status=ActivityStatus.DONE,
            done_at__gte=start,
            done_at__lt=end,
        )
        .filter(narrow)
        .order_by()
    )
    # One pass over the month's visits, counted per consultant and customer in SQL; the
    # customers are kept so that one visited by two consultants counts once in its tier.
    by_owner: dict = {}  # (owner, tier) -> {"visits": n, "customers": n}
    tier_customers: dict = {}  # tier -> {customer ids}
    for owner, tier, customer, visits in done.values_list(
        "owner", "customer__account_tier", "customer"
    ).annotate(visits=Count("pk")):
        bucket = by_owner.setdefault((owner, tier), {"visits": 0, "customers": 0})
        bucket["visits"] += visits
        bucket["customers"] += 1
        tier_customers.setdefault(tier, set()).add(customer)
    customers_by_tier = {tier: len(ids) for tier, ids in tier_customers.items()}
    by_owner = [
        {"owner": owner, "customer__account_tier": tier, **bucket}
        for (owner, tier), bucket in by_owner.items()
    ]
    people = _people({owner for owner, _tier in counts} | {i["owner"] for i in by_owner})

    def measures(buckets, visits, customers) -> dict:
        buckets = list(buckets)
        planned = sum(sum(bucket.values()) for bucket in buckets)
        visited = sum(bucket[STATUS_DONE] for bucket in buckets)
        return {
            "planned": planned,
            "visited": visited,
            "rate": ratio(visited, planned),
            "visits": sum(i["visits"] for i in visits),
            "customers": customers,
        }

    measure_columns = [
        Column("planned", _("Accounts in the visit plan"), INT),
        Column("visited", _("Of which visited"), INT),
        Column("rate", _("Completion"), PERCENT),
        Column("visits", _("Visits done"), INT),
        Column("customers", _("Customers visited"), INT),
    ]
    by_tier = [
        Row(
            {
                "tier": str(AccountTier(tier).label),
                **measures(
                    (v for (_owner, t), v in counts.items() if t == tier),
                    [i for i in by_owner if i["customer__account_tier"] == tier],
                    customers_by_tier.get(tier, 0),
                ),
            }
        )
        for tier in TIERS
    ]
    everything = measures(counts.values(), by_owner, sum(customers_by_tier.values()))
    tier_totals = Row({"tier": _("Total"), **everything}, subtotal=True)
    # Grouped once per consultant: a group's month has 400 of them and thousands of buckets.
    plan_of: dict = {}
    visits_of: dict = {}
    for (owner, _tier), bucket in counts.items():
        plan_of.setdefault(owner, []).append(bucket)
    for item in by_owner:
        visits_of.setdefault(item["owner"], []).append(item)
    by_person = []
    for person in _ordered(people.values()):
        visits = visits_of.get(person.pk, [])
        figures = measures(plan_of.get(person.pk, []), visits, sum(i["customers"] for i in visits))
        by_person.append(Row({"consultant": person.display_name, **figures}))
    person_totals = Row({"consultant": _("Total"), **everything}, subtotal=True)
    return Report(
        VISIT_STATS,
        report_titles()[VISIT_STATS],
        f"{month:%Y-%m}",
        selection.label,
        [
            Table(
                _("By tier"),
                [Column("tier", _("Account tier")), *measure_columns],
                by_tier,
                tier_totals,
            ),
            Table(
                _("By consultant"),
                [Column("consultant", _("Consultant")), *measure_columns],
                by_person,
                person_totals,
            ),
        ],
    )


# --- 年度销售总体计划 and 年度销售总结 --------------------------------------------------------


def _overrides(store_id, first: datetime.date, last: datetime.date) -> dict:
    if store_id is None:
        return {}
    return dict(
        WorkdayOverride.objects.filter(
            store_id=store_id, date__gte=first, date__lte=last
        ).values_list("date", "is_workday")
    )


def year_plan(selection: Selection, year: int) -> Report:
    """年度销售总体计划: each month's quota and goal for the store (or the chosen people),
    with its working days; the totals row is the year."""
    targets = _monthly_targets(selection, year)
    overrides = _overrides(
        selection.store_id, datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    )
    rows = [
        Row(
            {
                "month": f"{month:%Y-%m}",
                "workdays": count_workdays(month, month_end(month), overrides),
                **_target_cells(
                    lambda m, a, month=month: targets[month].get(m, (None, None))[
                        0 if a == "quota" else 1
                    ]
                ),
            }
        )
        for month in _months(year)
    ]
    columns = [
        Column("month", _("Month")),
        Column("workdays", _("Working days"), INT),
        *_target_columns(),
    ]
    totals = Row(
        {"month": _("Total"), **_sum_rows(rows, [c.key for c in columns[1:]])}, subtotal=True
    )
    return Report(
        YEAR_PLAN,
        report_titles()[YEAR_PLAN],
        str(year),
        selection.label,
        [Table(_("Months"), columns, rows, totals)],
        facts=_year_line_facts(selection, year),
    )


def _year_line_facts(selection: Selection, year: int) -> list[tuple[str, str]]:
    """The store's year plan lines (e.g. 任务 560万, 目标 700万) as written at the year's start."""
    if selection.by_person:
        return []
    lines = PlanLine.objects.filter(
        plan__in=selection.plans().filter(
            period_type=PeriodType.YEAR,
            period_start=datetime.date(year, 1, 1),
            scope=PlanScope.STORE,
        ),
        metric__in=PROGRESS_METRICS,
        series__isnull=True,
    )
    sums: dict = {}
    for line in lines:
        quota, goal = sums.get(line.metric, (ZERO, ZERO))
        sums[line.metric] = (quota + line.quota, goal + line.goal)
    return [
        (
            _("Year plan: %(metric)s") % {"metric": Metric(metric).label},
            _("quota %(quota)s · goal %(goal)s")
            % {"quota": _number(sums[metric][0], metric), "goal": _number(sums[metric][1], metric)},
        )
        for metric in PROGRESS_METRICS
        if metric in sums
    ]


def _number(value: Decimal, metric: str) -> str:
    return f"{value:,.2f}" if metric in Metric.money() else f"{value:,.0f}"


def year_summary(selection: Selection, year: int) -> Report:
    """年度销售总结: each month's sales against its plan, the totals and the best months."""
    user = selection.user
    targets = _monthly_targets(selection, year)
    by_month = {month: order_actuals(user, month) for month in _months(year)}
    people = _people({pk for actuals in by_month.values() for pk in actuals})
    included = {pk for pk, person in people.items() if selection.includes(person)}
    rows = []
    for month in _months(year):
        actual = _zero()
        for pk, figures in by_month[month].items():
            if pk in included:
                for metric in PROGRESS_METRICS:
                    actual[metric] += figures[metric]
        rows.append(
            Row(
                {
                    "month": f"{month:%Y-%m}",
                    **_actual_cells(
                        actual,
                        lambda m, a, month=month: targets[month].get(m, (None, None))[
                            0 if a == "quota" else 1
                        ],
                    ),
                }
            )
        )
    columns = [Column("month", _("Month")), *_actual_columns()]
    totals = _totals_with_rates(rows, {"month": _("Total")})
    facts = []
    for metric, label in (
        (Metric.UNITS, _("Best month by units")),
        (Metric.REVENUE, _("Best month by revenue")),
    ):
        best = best_month(rows, metric)
        if best is not None:
            facts.append((label, f"{best['month']} ({_number(best[f'{metric}_actual'], metric)})"))
    return Report(
        YEAR_SUMMARY,
        report_titles()[YEAR_SUMMARY],
        str(year),
        selection.label,
        [Table(_("Months"), columns, rows, totals)],
        facts=facts,
    )


def best_month(rows: list[Row], metric: str) -> Row | None:
    """The month with the most of ``metric``; the earlier one on a tie; None when nothing sold."""
    key = f"{metric}_actual"
    best = None
    for row in rows:
        if row[key] > 0 and (best is None or row[key] > best[key]):
            best = row
    return best
