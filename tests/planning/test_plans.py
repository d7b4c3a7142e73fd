"""The year → month → consultant breakdown, saved; the wizard; scope and locking."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse

from dealerplan.planning import services
from dealerplan.planning.models import Plan, PlanLine, WorkdayOverride
from tests.factories import SalesOrderFactory, UserFactory

SEED = {
    "revenue": (Decimal("5600000.00"), Decimal("7000000.00")),
    "units": (Decimal(40), Decimal(50)),
}


def ten_consultants(personas):
    people = [personas.consultant, personas.colleague]
    people += [UserFactory(username=f"c{i:02d}", store=personas.store) for i in range(8)]
    return people


@pytest.mark.django_db
class TestBreakdownService:
    def test_seed_example_every_level_sums_exactly(self, personas):
        people = ten_consultants(personas)
        preview = services.preview_breakdown(personas.store, 2027, SEED, consultants=people)
        year = services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)
        assert preview.weights_source == "default"
        year_revenue = PlanLine.objects.get(plan=year, metric="revenue")
        assert (year_revenue.quota, year_revenue.goal) == SEED["revenue"]
        months = Plan.objects.filter(parent=year)
        assert months.count() == 12
        for metric, (quota, goal) in SEED.items():
            totals = PlanLine.objects.filter(plan__in=months, metric=metric).aggregate(
                q=Sum("quota"), g=Sum("goal")
            )
            assert (totals["q"], totals["g"]) == (quota, goal)
        for month in months:
            for metric in SEED:
                own = PlanLine.objects.get(plan=month, metric=metric)
                parts = PlanLine.objects.filter(plan__parent=month, metric=metric)
                assert parts.count() == 10
                assert parts.aggregate(q=Sum("quota"))["q"] == own.quota
                assert parts.aggregate(g=Sum("goal"))["g"] == own.goal
                assert all(p.goal >= p.quota for p in parts)

    def test_months_follow_last_years_orders_when_there_are_enough(self, personas):
        for month in range(1, 13):
            for _ in range(4 if month == 12 else 2):
                SalesOrderFactory(
                    customer__owner=personas.consultant, order_date=datetime.date(2026, month, 10)
                )
        preview = services.preview_breakdown(
            personas.store, 2027, {"units": (Decimal(26), Decimal(26))}, consultants=[]
        )
        assert preview.weights_source == "history"
        assert [q for q, _ in preview.by_month["units"]][-1] == 4

    def test_share_method_follows_the_last_three_months(self, personas):
        for _ in range(3):
            SalesOrderFactory(
                customer__owner=personas.consultant, order_date=datetime.date(2026, 11, 5)
            )
        SalesOrderFactory(customer__owner=personas.colleague, order_date=datetime.date(2026, 11, 5))
        weights = services.consultant_weights(
            [personas.consultant, personas.colleague],
            method="share",
            before=datetime.date(2026, 12, 1),
        )
        assert weights == [3, 1]

    def test_goal_below_quota_is_refused(self, personas):
        with pytest.raises(ValidationError):
            services.preview_breakdown(
                personas.store, 2027, {"units": (Decimal(10), Decimal(9))}, consultants=[]
            )

    def test_locked_plan_cannot_be_replaced(self, personas):
        preview = services.preview_breakdown(personas.store, 2027, SEED, consultants=[])
        year = services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)
        services.lock_plan(personas.sales_manager, year)
        assert set(Plan.objects.values_list("status", flat=True)) == {"locked"}
        with pytest.raises(ValidationError):
            services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)

    def test_a_second_draft_replaces_the_first(self, personas):
        for revenue in ("1000000.00", "2000000.00"):
            preview = services.preview_breakdown(
                personas.store,
                2027,
                {"revenue": (Decimal(revenue), Decimal(revenue))},
                consultants=[personas.consultant],
            )
            services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)
        assert Plan.objects.filter(period_type="year").count() == 1
        assert Plan.objects.filter(period_type="month", scope="store").count() == 12
        assert PlanLine.objects.get(plan__period_type="year").quota == Decimal("2000000.00")


@pytest.mark.django_db
class TestPlanPages:
    def post_wizard(self, client, action, **overrides):
        data = {
            "year": "2027",
            "method": "equal",
            "revenue_quota": "5600000",
            "revenue_goal": "7000000",
            "units_quota": "40",
            "units_goal": "50",
            "action": action,
        }
        data.update(overrides)
        return client.post(reverse("planning:wizard"), data)

    def test_preview_writes_nothing_then_save_creates_the_plan(self, login, personas):
        client = login(personas.sales_manager)
        page = self.post_wizard(client, "preview")
        assert page.status_code == 200 and "5,600,000" in page.text and "7,000,000" in page.text
        assert not Plan.objects.exists()
        response = self.post_wizard(client, "save")
        assert response.status_code == 302
        year = Plan.objects.get(period_type="year")
        assert response["Location"] == reverse("planning:plan_detail", args=[year.pk])
        detail = client.get(response["Location"] + "?month=2027-12")
        assert detail.status_code == 200 and personas.consultant.display_name in detail.text

    def test_goal_below_quota_is_a_field_error_in_chinese(self, login, personas):
        page = self.post_wizard(login(personas.sales_manager), "save", revenue_goal="100")
        assert page.status_code == 200 and "不能低于" in page.text
        assert not Plan.objects.exists()

    def test_consultant_cannot_open_the_wizard(self, login, personas):
        assert login(personas.consultant).get(reverse("planning:wizard")).status_code == 403
        assert self.post_wizard(login(personas.consultant), "save").status_code == 403
        assert not Plan.objects.exists()

    def test_consultant_sees_own_plan_not_a_colleagues_or_another_stores(self, login, personas):
        preview = services.preview_breakdown(
            personas.store, 2027, SEED, consultants=[personas.consultant, personas.colleague]
        )
        services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)
        other = services.preview_breakdown(
            personas.other_store, 2027, SEED, consultants=[personas.other_consultant]
        )
        services.save_breakdown(personas.other_manager, personas.other_store, 2027, other)
        mine = Plan.objects.filter(consultant=personas.consultant).first()
        theirs = Plan.objects.filter(consultant=personas.colleague).first()
        far = Plan.objects.filter(consultant=personas.other_consultant).first()
        client = login(personas.consultant)
        assert client.get(reverse("planning:plan_detail", args=[mine.pk])).status_code == 200
        for plan in (theirs, far, Plan.objects.get(store=personas.store, period_type="year")):
            assert client.get(reverse("planning:plan_detail", args=[plan.pk])).status_code == 404
        manager = login(personas.sales_manager)
        assert manager.get(reverse("planning:plan_detail", args=[far.pk])).status_code == 404

    def test_plan_list_is_scoped(self, login, personas):
        preview = services.preview_breakdown(personas.other_store, 2027, SEED, consultants=[])
        services.save_breakdown(personas.other_manager, personas.other_store, 2027, preview)
        page = login(personas.sales_manager).get(reverse("planning:plan_list")).text
        assert personas.other_store.name not in page


@pytest.mark.django_db
def test_one_plan_per_period_and_scope_on_every_database(personas):
    def make(**extra):
        return Plan.objects.create(
            store=personas.store,
            period_type="month",
            period_start=datetime.date(2027, 1, 1),
            period_end=datetime.date(2027, 1, 31),
            **extra,
        )

    make(scope="store")
    make(scope="consultant", consultant=personas.consultant)
    make(scope="consultant", consultant=personas.colleague)
    for duplicate in (
        {"scope": "store"},
        {"scope": "consultant", "consultant": personas.consultant},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            make(**duplicate)


@pytest.mark.django_db
def test_admin_keeps_plans_and_workday_overrides_in_the_store(login, personas):
    preview = services.preview_breakdown(personas.other_store, 2027, SEED, consultants=[])
    other_year = services.save_breakdown(
        personas.other_manager, personas.other_store, 2027, preview
    )
    other_day = WorkdayOverride.objects.create(
        store=personas.other_store, date=datetime.date(2027, 2, 6), is_workday=True
    )
    client = login(personas.sales_manager)
    assert (
        client.get(reverse("admin:planning_plan_change", args=[other_year.pk])).status_code == 404
    )
    assert (
        client.get(
            reverse("admin:planning_workdayoverride_change", args=[other_day.pk])
        ).status_code
        == 404
    )
    assert client.get(reverse("admin:planning_workdayoverride_changelist")).status_code == 200


@pytest.mark.django_db
class TestManualSplit:
    def setup_month(self, personas):
        preview = services.preview_breakdown(
            personas.store,
            2027,
            {"units": (Decimal(120), Decimal(144))},
            consultants=[personas.consultant, personas.colleague],
        )
        year = services.save_breakdown(personas.sales_manager, personas.store, 2027, preview)
        month = Plan.objects.get(parent=year, period_start=datetime.date(2027, 12, 1))
        mine = Plan.objects.get(parent=month, consultant=personas.consultant)
        theirs = Plan.objects.get(parent=month, consultant=personas.colleague)
        total = PlanLine.objects.get(plan=month, metric="units")
        return month, mine, theirs, total

    def test_split_that_adds_up_is_saved(self, login, personas):
        month, mine, theirs, total = self.setup_month(personas)
        response = login(personas.sales_manager).post(
            reverse("planning:plan_detail", args=[month.pk]),
            {
                "action": "split",
                f"q-{mine.pk}-units": str(total.quota - 3),
                f"g-{mine.pk}-units": str(total.goal - 5),
                f"q-{theirs.pk}-units": "3",
                f"g-{theirs.pk}-units": "5",
            },
        )
        assert response.status_code == 302
        assert PlanLine.objects.get(plan=theirs, metric="units").quota == 3

    def test_split_that_does_not_add_up_saves_nothing(self, login, personas):
        month, mine, theirs, _total = self.setup_month(personas)
        before = list(PlanLine.objects.filter(plan__parent=month).values_list("quota", flat=True))
        client = login(personas.sales_manager)
        response = client.post(
            reverse("planning:plan_detail", args=[month.pk]),
            {
                "action": "split",
                f"q-{mine.pk}-units": "1",
                f"g-{mine.pk}-units": "1",
                f"q-{theirs.pk}-units": "1",
                f"g-{theirs.pk}-units": "1",
            },
            follow=True,
        )
        assert "合计" in response.text
        after = list(PlanLine.objects.filter(plan__parent=month).values_list("quota", flat=True))
        assert after == before

    def test_page_offers_inputs_with_a_live_sum(self, login, personas):
        month, *_ = self.setup_month(personas)
        page = login(personas.sales_manager).get(reverse("planning:plan_detail", args=[month.pk]))
        assert "split-input" in page.text and "plan_split.js" in page.text

    def test_consultant_cannot_split(self, login, personas):
        month, *_ = self.setup_month(personas)
        with pytest.raises(PermissionDenied):
            services.set_consultant_split(personas.consultant, month, {})


@pytest.mark.django_db
def test_wizard_takes_activity_targets_too(login, personas):
    response = login(personas.sales_manager).post(
        reverse("planning:wizard"),
        {
            "year": "2027",
            "method": "equal",
            "calls_quota": "7200",
            "calls_goal": "7920",
            "new_cards_quota": "600",
            "new_cards_goal": "720",
            "action": "save",
        },
    )
    assert response.status_code == 302
    year = Plan.objects.get(period_type="year")
    assert PlanLine.objects.get(plan=year, metric="calls").quota == 7200
    months = PlanLine.objects.filter(plan__parent=year, metric="new_cards")
    assert sum(line.goal for line in months) == 720
