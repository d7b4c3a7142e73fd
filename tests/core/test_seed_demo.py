"""Tests for ``manage.py seed_demo`` and the demo data builder (tiny size)."""

import hashlib
import io
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.core.choices import Role
from dealerplan.core.demo.builder import TZ
from dealerplan.core.phone import normalize_phone
from dealerplan.core.vin import validate_vin
from dealerplan.customers.models import Contact, Customer, CustomerAssignment
from dealerplan.deals.models import Deal, Pipeline
from dealerplan.inventory.models import Vehicle
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import Payment, SalesOrder
from dealerplan.org.models import Store, Team, User
from dealerplan.planning.choices import Metric, PeriodType, PlanScope, PlanStatus
from dealerplan.planning.funnel import SHOW_WINDOW
from dealerplan.planning.models import Plan, PlanLine
from dealerplan.planning.workdays import workdays_in_month

TODAY = date(2026, 11, 15)
NOW = datetime.combine(TODAY, time(12), tzinfo=TZ)  # the demo is a snapshot at noon
PASSWORD = "demo12345"
USERNAMES = {
    "gm": "general_manager",
    "sales_manager": "sales_manager",
    "showroom_manager": "showroom_manager",
    "finance": "finance",
    "marketing": "marketing",
    "consultant01": "consultant",
    "consultant02": "consultant",
    "consultant03": "consultant",
}


def seed(**options) -> str:
    out = io.StringIO()
    options = {"size": "tiny", "seed": 1, "today": TODAY.isoformat(), **options}
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def digest() -> str:
    """A fingerprint of the generated data that does not depend on primary keys."""
    parts = [
        sorted(
            Customer.objects.values_list(
                "name",
                "phone",
                "intention_level",
                "account_tier",
                "created_at",
                "last_contact_at",
                "next_follow_up_at",
                "latitude",
                "longitude",
                "budget",
                "owner__username",
            )
        ),
        sorted(Contact.objects.values_list("name", "phone", "title", "customer__phone")),
        sorted(Vehicle.objects.values_list("vin", "status", "arrival_date", "cost")),
        sorted(
            SalesOrder.objects.values_list(
                "number",
                "total",
                "gross_profit",
                "order_date",
                "status",
                "vehicle__vin",
                "customer__phone",
            )
        ),
        sorted(Payment.objects.values_list("order__number", "kind", "amount", "received_on")),
        sorted(
            Activity.objects.values_list(
                "customer__phone",
                "owner__username",
                "kind",
                "status",
                "done_at",
                "planned_at",
                "outcome",
                "notes",
            )
        ),
        sorted(TrafficEntry.objects.values_list("arrived_at", "left_at", "visitor_phone")),
        sorted(Deal.objects.values_list("title", "amount", "stage__name", "status", "bid_date")),
        sorted(User.objects.values_list("username", "last_name", "first_name", "phone")),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class _Rollback(Exception):
    pass


def digest_of_a_run(**options) -> str:
    """Seed inside a savepoint, fingerprint the data, roll everything back."""
    result = None
    try:
        with transaction.atomic():
            seed(**options)
            result = digest()
            raise _Rollback
    except _Rollback:
        pass
    assert not Store.objects.exists()
    return result


@pytest.fixture
def output(db) -> str:
    return seed()


@pytest.mark.django_db
def test_tiny_data_set_has_the_expected_shape(output):
    store = Store.objects.get()
    assert (store.code, store.name, store.city) == ("bj-cy", "北京朝阳汽车销售服务有限公司", "北京")
    assert Team.objects.filter(store=store).count() == 2
    assert Customer.objects.filter(store=store).count() == 60
    # 400 done activities, plus the showroom visits that phone appointments led to.
    done = Activity.objects.filter(status="done")
    shows = done.count() - 400
    assert 0 < shows <= done.filter(kind="reception").count()
    assert Activity.objects.filter(status="planned").exists()
    assert Vehicle.objects.count() == 30
    assert Deal.objects.count() == 12
    assert TrafficEntry.objects.count() == 90
    assert Contact.objects.exists()
    # Last year's and this year's plans: the year, 12 months, 12 months of each of 3 consultants.
    assert Plan.objects.count() == 2 * (1 + 12 + 12 * 3) == 98
    assert PlanLine.objects.count() == 98 * 7
    orders = SalesOrder.objects.all()
    assert 10 <= orders.count() <= 30
    assert min(o.order_date for o in orders) >= TODAY - timedelta(days=92)
    assert max(o.order_date for o in orders) <= TODAY
    assert set(Pipeline.objects.values_list("name", "kind")) == {
        ("零售", "retail"),
        ("大客户/招投标", "fleet"),
    }
    retail = Pipeline.objects.get(kind="retail")
    assert retail.is_default
    assert list(retail.stages.values_list("name", "probability")) == [
        ("意向", 10),
        ("试驾", 30),
        ("报价", 50),
        ("订单", 90),
        ("战败", 0),
    ]
    # The summary and the logins table are printed, with the demo-only reminder.
    assert "customers" in output
    assert "plans                      98" in output
    assert "plan lines                686" in output
    assert "consultant03" in output
    assert PASSWORD in output
    assert "demo data only" in output


@pytest.mark.django_db
def test_demo_users_exist_and_can_log_in(output):
    users = {u.username: u for u in User.objects.select_related("store", "team")}
    assert {name: u.role for name, u in users.items()} == USERNAMES
    for user in users.values():
        assert user.store.code == "bj-cy"
        assert user.last_name and user.first_name
        assert normalize_phone(user.phone) == user.phone and len(user.phone) == 11
        assert (user.team is not None) == (user.role == "consultant")
    assert users["gm"].is_staff and users["sales_manager"].is_staff
    assert not users["consultant01"].is_staff
    assert {team.leader.role for team in Team.objects.all()} == {"consultant"}
    # One real check is enough: every demo user shares the same password hash.
    assert len({u.password for u in users.values()}) == 1
    request = RequestFactory().post("/accounts/login/")
    assert (
        authenticate(request, username="consultant01", password=PASSWORD) == users["consultant01"]
    )


@pytest.mark.django_db
def test_vins_are_valid_and_unique(output):
    vins = list(Vehicle.objects.values_list("vin", flat=True))
    assert len(vins) == len(set(vins)) == 30
    for vin in vins:
        validate_vin(vin)
        assert vin.startswith("LFV")
    for vehicle in Vehicle.objects.select_related("trim"):
        assert Decimal(0) < vehicle.cost < vehicle.trim.guide_price


@pytest.mark.django_db
def test_customer_phones_are_canonical_and_unique_per_store(output):
    rows = list(Customer.objects.values_list("store_id", "phone", "name", "search_text"))
    for _store, phone, name, search_text in rows:
        assert normalize_phone(phone) == phone
        assert search_text, name  # bulk_create does not call save(); the builder fills it
    per_store = Counter((store, phone) for store, phone, _name, _text in rows)
    assert max(per_store.values()) == 1


@pytest.mark.django_db
def test_orders_vehicles_and_payments_add_up(output):
    orders = list(SalesOrder.objects.all())
    assert len({o.number for o in orders}) == len(orders)
    for order in orders:
        assert order.total == order.vehicle_price - order.discount + order.accessories_amount
        assert order.total.as_tuple().exponent == -2
        assert order.consultant_id == order.customer.owner_id
    active = Counter(
        o.vehicle_id for o in orders if o.vehicle_id and o.status != OrderStatus.CANCELLED
    )
    assert not active or max(active.values()) == 1
    for payment in Payment.objects.all():
        assert payment.amount > 0
        assert payment.received_on <= TODAY
    for order in orders:
        if order.status == OrderStatus.DELIVERED:
            paid = sum(p.amount for p in order.payments.all())
            assert paid <= order.total
            assert order.delivery_date <= TODAY
        if order.status in (OrderStatus.CONFIRMED, OrderStatus.ALLOCATED):
            assert order.customer.intention_level == "O"


@pytest.mark.django_db
def test_timelines_are_consistent(output):
    customers = {c.pk: c for c in Customer.objects.all()}
    released_by = dict(CustomerAssignment.objects.values_list("customer_id", "from_user_id"))
    for activity in Activity.objects.filter(status="done"):
        customer = customers[activity.customer_id]
        assert activity.owner_id == (customer.owner_id or released_by[customer.pk])
        assert customer.created_at <= activity.done_at <= customer.last_contact_at <= NOW
    for activity in Activity.objects.filter(status="planned"):
        assert NOW < activity.planned_at <= NOW + timedelta(days=14)
    intervals = {"H": 2, "A": 7, "B": 14, "C": 30, "O": 7}
    for customer in customers.values():
        if customer.intention_level in ("D", "F") or customer.owner_id is None:
            assert customer.next_follow_up_at is None  # closed, or waiting in the pool
        elif customer.last_contact_at is not None:
            gap = customer.next_follow_up_at - customer.last_contact_at
            assert gap == timedelta(days=intervals[customer.intention_level])
    for entry in TrafficEntry.objects.all():
        assert entry.arrived_at <= NOW
        assert entry.left_at is None or entry.left_at >= entry.arrived_at
    for deal in Deal.objects.select_related("stage"):
        assert deal.stage.is_won == (deal.status == "won")
        assert deal.stage.is_lost == (deal.status == "lost")


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_data_alone(output):
    before = (Customer.objects.count(), Activity.objects.count(), User.objects.count())
    message = seed(if_empty=True)
    assert "already has data" in message
    assert (Customer.objects.count(), Activity.objects.count(), User.objects.count()) == before
    with pytest.raises(CommandError):
        seed()


@pytest.mark.django_db
def test_same_seed_and_day_give_the_same_data():
    first = digest_of_a_run()
    second = digest_of_a_run()
    assert first == second
    assert digest_of_a_run(seed=2) != first


@pytest.mark.django_db
def test_a_fresh_demo_has_locked_plans_for_this_month(output):
    month = TODAY.replace(day=1)
    consultants = set(User.objects.filter(role=Role.CONSULTANT))
    plans = Plan.objects.filter(period_type=PeriodType.MONTH, period_start=month)
    assert {p.consultant for p in plans.filter(scope=PlanScope.CONSULTANT)} == consultants
    assert plans.filter(scope=PlanScope.STORE).count() == 1
    assert set(plans.values_list("status", flat=True)) == {PlanStatus.LOCKED}
    # Last year's months are locked too, so the year summaries have something to compare.
    assert not Plan.objects.exclude(status=PlanStatus.LOCKED).exists()
    years = Plan.objects.filter(period_type=PeriodType.YEAR, scope=PlanScope.STORE)
    assert sorted(years.values_list("period_start__year", flat=True)) == [2025, 2026]
    assert all(plan.created_at < NOW for plan in Plan.objects.all())


@pytest.mark.django_db
def test_plan_targets_add_up_and_follow_the_quotas(output):
    month = TODAY.replace(day=1)
    store_month = Plan.objects.get(
        scope=PlanScope.STORE, period_type=PeriodType.MONTH, period_start=month
    )
    people = PlanLine.objects.filter(plan__parent=store_month)
    workdays = len(workdays_in_month(month.year, month.month))
    for line in store_month.lines.all():
        mine = [p for p in people if p.metric == line.metric]
        assert len(mine) == 3
        assert line.quota == sum(p.quota for p in mine)
        assert line.goal == sum(p.goal for p in mine)
    for line in people:
        assert line.goal >= line.quota > 0
        if line.metric == Metric.CALLS:
            assert line.quota == 30 * workdays
        elif line.metric == Metric.VISITS:
            assert line.quota == round(20 * workdays / 5)
        elif line.metric == Metric.UNITS:
            assert line.goal == (line.quota * Decimal("1.25")).quantize(Decimal(1), "ROUND_HALF_UP")
    year = Plan.objects.get(period_type=PeriodType.YEAR, period_start=date(2026, 1, 1))
    year_units = year.lines.get(metric=Metric.UNITS)
    months = PlanLine.objects.filter(plan__parent=year, metric=Metric.UNITS)
    assert year_units.quota == sum(m.quota for m in months)
    # Revenue per planned unit is the store's order value, not an invented figure.
    revenue = store_month.lines.get(metric=Metric.REVENUE).quota
    units = store_month.lines.get(metric=Metric.UNITS).quota
    values = [o.total for o in SalesOrder.objects.exclude(status="cancelled")]
    assert min(values) <= revenue / units <= max(values)


@pytest.mark.django_db
def test_plan_vs_actual_shows_consultant01_their_plan(output, login):
    consultant = User.objects.get(username="consultant01")
    client = login(consultant)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("planning:progress"))
    assert response.status_code == 200
    progress = response.context["progress"]
    assert [row.plan.consultant for row in progress.rows] == [consultant]
    cells = progress.rows[0].cells
    assert all(cells[m].line is not None for m in (Metric.UNITS, Metric.REVENUE))
    assert cells[Metric.UNITS].quota is not None
    assert "No plan for this month yet." not in response.content.decode()
    assert "本月还没有计划" not in response.content.decode()


@pytest.mark.django_db
def test_most_phone_appointments_are_followed_by_a_showroom_visit(output):
    came = {}
    for customer, at in Activity.objects.filter(
        status="done", kind__in=("reception", "test_drive")
    ).values_list("customer", "done_at"):
        came.setdefault(customer, []).append(at)
    for customer, at in TrafficEntry.objects.filter(
        kind="walk_in", customer__isnull=False
    ).values_list("customer", "arrived_at"):
        came.setdefault(customer, []).append(at)
    calls = list(
        Activity.objects.filter(status="done", kind="call", outcome="appointment").values_list(
            "customer", "done_at"
        )
    )
    shown = sum(
        any(at <= t < at + SHOW_WINDOW for t in came.get(customer, ())) for customer, at in calls
    )
    assert calls and 0.4 <= shown / len(calls) <= 0.8


@pytest.mark.django_db
def test_the_public_pool_has_released_leads_with_their_reasons(output):
    pooled = Customer.objects.filter(owner__isnull=True, pool_since__isnull=False)
    assert pooled.count() >= 3
    assert "pool customers" in output
    for customer in pooled:
        move = CustomerAssignment.objects.get(customer=customer)
        assert move.kind == "released" and move.reason and move.from_user_id is not None
        assert not Activity.objects.filter(customer=customer, status="planned").exists()
