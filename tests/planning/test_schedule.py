"""A month's targets per working day and week add up exactly; locked plans change by revision."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.planning import services
from dealerplan.planning.models import Plan, PlanLine
from dealerplan.planning.workdays import workdays_in_month
from tests.factories import StoreFactory


def month_plan(store, month, units, revenue):
    plan = Plan(
        store=store,
        period_type="month",
        period_start=month,
        period_end=services.month_end(month),
        scope="store",
    )
    plan.save()
    PlanLine.objects.create(plan=plan, metric="units", quota=units[0], goal=units[1])
    PlanLine.objects.create(plan=plan, metric="revenue", quota=revenue[0], goal=revenue[1])
    return plan


@pytest.mark.django_db
class TestMonthSchedule:
    def test_days_and_weeks_sum_to_the_month(self, personas):
        plan = month_plan(
            personas.store,
            datetime.date(2026, 10, 1),
            (Decimal(40), Decimal(50)),
            (Decimal("5600000.00"), Decimal("7000000.00")),
        )
        weeks, days = services.month_schedule(plan)
        assert len(days) == len(workdays_in_month(2026, 10)) == 18  # National Day holidays
        for metric, (quota, goal) in (("units", (40, 50)), ("revenue", (5600000, 7000000))):
            assert sum(d.targets[metric][0] for d in days) == quota
            assert sum(w.targets[metric][1] for w in weeks) == goal
        assert all(d.start.weekday() < 5 or d.start == datetime.date(2026, 10, 10) for d in days)

    def test_store_override_adds_a_working_day(self, personas):
        plan = month_plan(
            personas.store,
            datetime.date(2027, 10, 1),
            (Decimal(10), Decimal(10)),
            (Decimal("0"), Decimal("0")),
        )
        saturday = datetime.date(2027, 10, 9)
        _, without = services.month_schedule(plan)
        _, with_override = services.month_schedule(plan, {saturday: True})
        assert len(with_override) == len(without) + 1
        assert saturday in [d.start for d in with_override]

    def test_month_page_shows_the_schedule(self, login, personas):
        plan = month_plan(
            personas.store,
            datetime.date(2026, 11, 1),
            (Decimal(21), Decimal(30)),
            (Decimal("100.00"), Decimal("200.00")),
        )
        page = login(personas.sales_manager).get(reverse("planning:plan_detail", args=[plan.pk]))
        assert page.status_code == 200 and "按周" in page.text


@pytest.mark.django_db
@settings(max_examples=30, derandomize=True, deadline=None)
@given(quota=st.integers(0, 500), extra=st.integers(0, 200), month=st.integers(1, 12))
def test_schedule_is_exact_for_any_month_and_target(quota, extra, month):
    store = StoreFactory(code=f"s-{quota}-{extra}-{month}")
    plan = month_plan(
        store,
        datetime.date(2027, month, 1),
        (Decimal(quota), Decimal(quota + extra)),
        (Decimal(quota) * 1000, Decimal(quota + extra) * 1000),
    )
    weeks, days = services.month_schedule(plan)
    assert sum(d.targets["units"][0] for d in days) == quota
    assert sum(w.targets["units"][1] for w in weeks) == quota + extra
    assert all(d.targets["units"][1] >= d.targets["units"][0] for d in days)


@pytest.mark.django_db
class TestRevision:
    def test_locked_plan_reopens_only_with_a_reason(self, login, personas):
        preview = services.preview_breakdown(
            personas.store, 2027, {"units": (Decimal(12), Decimal(24))}, consultants=[]
        )
        year = services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)
        services.lock_plan(personas.sales_manager, year)
        with pytest.raises(ValidationError):
            services.start_revision(personas.sales_manager, year, "  ")
        client = login(personas.sales_manager)
        response = client.post(
            reverse("planning:plan_detail", args=[year.pk]),
            {"action": "revise", "reason": "厂家下调全年任务"},
        )
        assert response.status_code == 302
        year.refresh_from_db()
        assert (year.status, year.revision) == ("draft", 2)
        assert "厂家下调全年任务" in year.notes
        assert year.history.first().history_change_reason.endswith("厂家下调全年任务")

    def test_consultant_cannot_revise(self, login, personas):
        preview = services.preview_breakdown(
            personas.store,
            2027,
            {"units": (Decimal(12), Decimal(24))},
            consultants=[personas.consultant],
        )
        year = services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)
        services.lock_plan(personas.sales_manager, year)
        mine = Plan.objects.get(
            consultant=personas.consultant, period_start=datetime.date(2027, 1, 1)
        )
        with pytest.raises(PermissionDenied):
            services.start_revision(personas.consultant, mine, "想改")
        mine.refresh_from_db()
        assert mine.status == "locked"
