"""月访客户计划表 and 月访客户统计表 over October 2026: National Day week off, 10 October worked."""

import datetime

import pytest
import time_machine
from django.utils.translation import gettext as _

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.models import FollowUpPolicy
from dealerplan.planning import visitplan
from dealerplan.reports import services
from dealerplan.reports.services import Selection
from tests.factories import ActivityFactory
from tests.reports.factories_reports import OCTOBER, account, at, visit

BEFORE_OCTOBER = at(datetime.date(2026, 9, 30), 20)
AFTER_OCTOBER = at(datetime.date(2026, 11, 2), 9)


def cells(report, table):
    return [row.cells for row in report.tables[table].rows]


@pytest.fixture
def accounts(personas):
    me, them = personas.consultant, personas.colleague
    found = {
        "vip1": account(me, "vip", name="甲公司", district="朝阳"),
        "vip2": account(me, "vip", name="乙公司", district="朝阳"),
        "tier1_due": account(me, "tier1", name="丙公司", district="朝阳"),
        "tier1_recent": account(me, "tier1", name="丁公司", district="朝阳"),
        "tier2": account(me, "tier2", name="戊公司", district="朝阳"),
        "their_vip": account(them, "vip", name="己公司", district="海淀"),
        "their_other": account(them, "other", name="庚公司", district="海淀"),
        "elsewhere": account(personas.other_consultant, "vip", name="外店公司"),
    }
    # Visited 41 days before the end of October: a tier-1 account is not due yet.
    visit(found["tier1_recent"], at(datetime.date(2026, 9, 20)))
    return found


@pytest.mark.django_db
class TestMonthlyVisitPlan:
    def test_accounts_by_tier_spread_over_working_days_skipping_the_holiday(
        self, personas, accounts
    ):
        with time_machine.travel(BEFORE_OCTOBER, tick=False):
            report = services.visit_plan(Selection(personas.consultant), OCTOBER)
        summary = {row["tier"]: row for row in cells(report, 0)}
        assert summary["VIP"]["accounts"] == 2
        assert summary["一级"]["accounts"] == 1  # 丁公司 was visited in September
        assert report.tables[0].totals.cells["accounts"] == 3
        assert report.tables[0].totals.cells["proposed"] == 3
        detail = cells(report, 1)
        assert [(r["customer"], r["date"]) for r in detail] == [
            ("甲公司", datetime.date(2026, 10, 8)),
            ("乙公司", datetime.date(2026, 10, 9)),
            # Saturday 10 October is the make-up working day after National Day.
            ("丙公司", datetime.date(2026, 10, 10)),
        ]
        assert list(dict(report.facts).values()) == ["18"]

    def test_manager_sees_every_consultant_of_the_store_only(self, personas, accounts):
        with time_machine.travel(BEFORE_OCTOBER, tick=False):
            report = services.visit_plan(Selection(personas.sales_manager), OCTOBER)
        names = {r["customer"] for r in cells(report, 1)}
        assert names == {"甲公司", "乙公司", "丙公司", "己公司"}
        assert report.tables[0].totals.cells["accounts"] == 4

    def test_consultant_never_sees_colleagues_accounts(self, personas, accounts):
        with time_machine.travel(BEFORE_OCTOBER, tick=False):
            report = services.visit_plan(Selection(personas.colleague), OCTOBER)
        assert [r["customer"] for r in cells(report, 1)] == ["己公司"]

    def test_visits_already_done_or_planned_keep_their_state(self, personas, accounts):
        visit(accounts["vip1"], at(datetime.date(2026, 10, 9)))
        visit(
            accounts["vip2"],
            at(datetime.date(2026, 10, 15), 14),
            status=ActivityStatus.PLANNED,
        )
        with time_machine.travel(at(datetime.date(2026, 10, 12), 8), tick=False):
            report = services.visit_plan(Selection(personas.consultant), OCTOBER)
        totals = report.tables[0].totals.cells
        assert (totals["done"], totals["planned"], totals["proposed"]) == (1, 1, 1)


@pytest.mark.django_db
class TestMonthlyVisitStatistics:
    @pytest.fixture
    def visits(self, accounts):
        visit(accounts["vip1"], at(datetime.date(2026, 10, 15)))
        visit(accounts["vip1"], at(datetime.date(2026, 10, 20)))
        visit(accounts["tier1_due"], at(datetime.date(2026, 10, 16)))
        # Late on 31 October in Shanghai is still October (it is 15:30 UTC) ...
        visit(accounts["tier2"], at(datetime.date(2026, 10, 31), 23))
        # ... and half past midnight on 1 November is not, though UTC still says 31 October.
        visit(
            accounts["vip2"],
            datetime.datetime.combine(
                datetime.date(2026, 11, 1), datetime.time(0, 30), tzinfo=at(OCTOBER).tzinfo
            ),
        )
        visit(accounts["their_other"], at(datetime.date(2026, 10, 22)))
        visit(accounts["elsewhere"], at(datetime.date(2026, 10, 22)))
        return accounts

    def test_visits_done_against_the_plan_by_tier(self, personas, visits):
        with time_machine.travel(AFTER_OCTOBER, tick=False):
            report = services.visit_stats(Selection(personas.sales_manager), OCTOBER)
        by_tier = {row["tier"]: row for row in cells(report, 0)}
        vip = by_tier["VIP"]
        assert (vip["planned"], vip["visited"], vip["visits"], vip["customers"]) == (3, 1, 2, 1)
        assert str(vip["rate"]) == "0.3333"
        tier1 = by_tier["一级"]
        assert (tier1["planned"], tier1["visited"], str(tier1["rate"])) == (1, 1, "1.0000")
        tier2 = by_tier["二级"]
        assert (tier2["planned"], tier2["visits"], tier2["rate"]) == (0, 1, None)
        assert by_tier["其他"]["visits"] == 1
        totals = report.tables[0].totals.cells
        assert (totals["planned"], totals["visited"], totals["visits"]) == (4, 2, 5)
        assert totals["customers"] == 4
        assert str(totals["rate"]) == "0.5000"

    def test_visits_by_consultant(self, personas, visits):
        with time_machine.travel(AFTER_OCTOBER, tick=False):
            report = services.visit_stats(Selection(personas.sales_manager), OCTOBER)
        rows = {row["consultant"]: row for row in cells(report, 1)}
        assert set(rows) == {personas.consultant.display_name, personas.colleague.display_name}
        mine = rows[personas.consultant.display_name]
        assert (mine["planned"], mine["visited"], mine["visits"], str(mine["rate"])) == (
            3,
            2,
            4,
            "0.6667",
        )
        theirs = rows[personas.colleague.display_name]
        assert (theirs["planned"], theirs["visited"], theirs["visits"]) == (1, 0, 1)

    def test_consultant_sees_only_their_own_visits(self, personas, visits):
        with time_machine.travel(AFTER_OCTOBER, tick=False):
            report = services.visit_stats(Selection(personas.consultant), OCTOBER)
        assert [r["consultant"] for r in cells(report, 1)] == [personas.consultant.display_name]
        totals = report.tables[0].totals.cells
        assert (totals["planned"], totals["visits"]) == (3, 4)

    def test_another_store_sees_only_its_own(self, personas, visits):
        with time_machine.travel(AFTER_OCTOBER, tick=False):
            report = services.visit_stats(Selection(personas.other_manager), OCTOBER)
        assert [r["consultant"] for r in cells(report, 1)] == [
            personas.other_consultant.display_name
        ]
        assert report.tables[0].totals.cells["visits"] == 1


def counted_by_store(plan) -> dict:
    """(consultant's store, tier, status) -> accounts, from the listed rows."""
    counts: dict = {}
    for row in plan.rows:
        key = (row.consultant.store_id, row.customer.account_tier, row.status)
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.django_db
class TestGroupWideVisitPlan:
    @pytest.fixture
    def busy(self, personas, accounts):
        """Every status in both stores, and a store that visits its tier-1 accounts monthly."""
        visit(accounts["vip1"], at(datetime.date(2026, 10, 9)))
        visit(accounts["vip2"], at(datetime.date(2026, 10, 27), 14), status=ActivityStatus.PLANNED)
        # 25 days before the end of October: not due at 60 days, due at the other store's 20.
        theirs = account(personas.other_consultant, "tier1", name="外店一级")
        visit(theirs, at(datetime.date(2026, 10, 6)))
        FollowUpPolicy.objects.create(store=personas.other_store, tier1_visit_days=20)
        return accounts

    def test_counts_in_sql_match_the_listed_accounts(self, personas, busy):
        for moment in (BEFORE_OCTOBER, at(datetime.date(2026, 10, 30), 16)):  # no day left
            with time_machine.travel(moment, tick=False):
                plan = visitplan.build_visit_plan(personas.group_manager, OCTOBER)
                counts = visitplan.plan_counts(personas.group_manager, OCTOBER, by="owner__store")
            flat = {
                (store, tier, status): number
                for (store, tier), bucket in counts.items()
                for status, number in bucket.items()
                if number
            }
            assert flat == counted_by_store(plan)
        assert "外店一级" in {row.customer.name for row in plan.rows}

    def test_the_group_page_counts_by_store_instead_of_listing_accounts(self, personas, busy):
        with time_machine.travel(BEFORE_OCTOBER, tick=False):
            report = services.visit_plan(Selection(personas.group_manager), OCTOBER)
            listed = services.visit_plan(Selection(personas.group_manager), OCTOBER, accounts=True)
        assert [table.title for table in report.tables] == [_("By tier"), _("By store")]
        assert report.tables[1].note
        by_store = {row["store"]: row for row in cells(report, 1)}
        assert by_store[personas.store.name]["accounts"] == 4
        assert (
            by_store[personas.store.name]["done"],
            by_store[personas.store.name]["planned"],
        ) == (
            1,
            1,
        )
        assert by_store[personas.other_store.name]["accounts"] == 2
        assert report.tables[1].totals.cells["accounts"] == 6
        # The figures are the listed accounts' figures; the Excel file lists them too.
        assert report.tables[0].totals.cells == listed.tables[0].totals.cells
        assert cells(report, 1) == cells(listed, 1)
        assert len(listed.tables[2].rows) == 6

    def test_a_chosen_store_lists_every_account_of_that_store_only(self, personas, busy):
        with time_machine.travel(BEFORE_OCTOBER, tick=False):
            report = services.visit_plan(
                Selection(personas.group_manager, store=personas.other_store), OCTOBER
            )
        assert [table.title for table in report.tables] == [_("By tier"), _("Accounts")]
        assert {r["customer"] for r in cells(report, 1)} == {"外店公司", "外店一级"}


@pytest.mark.django_db
def test_group_visit_statistics_count_a_customer_once_across_consultants(personas, accounts):
    """Two consultants visiting one customer: two visits, one customer in its tier."""
    visit(accounts["vip1"], at(datetime.date(2026, 10, 15)))
    ActivityFactory(
        customer=accounts["vip1"],
        owner=personas.colleague,
        kind=ActivityKind.VISIT,
        done_at=at(datetime.date(2026, 10, 16)),
    )
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        report = services.visit_stats(Selection(personas.group_manager), OCTOBER)
    vip = {row["tier"]: row for row in cells(report, 0)}["VIP"]
    assert (vip["visits"], vip["customers"]) == (2, 1)
    people = {row["consultant"]: row for row in cells(report, 1)}
    assert people[personas.consultant.display_name]["customers"] == 1
    assert people[personas.colleague.display_name]["customers"] == 1
    assert report.tables[0].totals.cells["customers"] == 1
    # Everyone's plan: 4 accounts in this store (丁公司 is not due), 1 in the other one.
    assert report.tables[0].totals.cells["planned"] == 5
