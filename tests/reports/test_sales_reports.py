"""月销售计划表, 月销售统计表, 年度销售总体计划 and 年度销售总结, figured by hand.

October 2026 holds the National Day week: 1–7 October are off and Saturday 10 October is a
make-up working day, so the month has 18 working days (8, 9, 10, 12–16, 19–23, 26–30).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils.translation import gettext

from dealerplan.planning.models import WorkdayOverride
from dealerplan.planning.progress import order_actuals
from dealerplan.reports import services
from dealerplan.reports.services import Selection
from tests.factories import TeamFactory, UserFactory
from tests.reports.factories_reports import OCTOBER, month_plan, sale, series, year_plan


def all_series() -> str:
    """The label of a consultant's subtotal row, in the active language."""
    return gettext("All series")


TODAY = datetime.date(2026, 10, 12)  # Monday: 8, 9, 10 (Saturday, made up) and 12 have passed


def rows_of(report, table=0):
    return [row.cells for row in report.tables[table].rows]


def totals_of(report, table=0):
    return report.tables[table].totals.cells


@pytest.fixture
def october(personas):
    """Targets and sales of October 2026 in both stores."""
    sagitar, magotan = series("速腾"), series("迈腾")
    month_plan(
        personas.store,
        OCTOBER,
        consultant=personas.consultant,
        lines=[
            ("units", 10, 12),
            ("revenue", "1500000.00", "1800000.00"),
            ("gross_profit", "60000.00", "75000.00"),
            ("units", 6, 7, sagitar),
            ("units", 4, 5, magotan),
        ],
    )
    month_plan(
        personas.store,
        OCTOBER,
        consultant=personas.colleague,
        lines=[
            ("units", 8, 10),
            ("revenue", "1200000.50", "1400000.00"),
            ("gross_profit", "40000.25", "50000.00"),
        ],
    )
    month_plan(
        personas.other_store,
        OCTOBER,
        consultant=personas.other_consultant,
        lines=[("units", 99, 99)],
    )
    me = personas.consultant
    sale(
        me, datetime.date(2026, 10, 8), total="150000.00", gross_profit="6000.00", of_series=sagitar
    )
    sale(
        me, datetime.date(2026, 10, 9), total="148500.50", gross_profit="5200.25", of_series=sagitar
    )
    sale(
        me,
        datetime.date(2026, 10, 10),
        total="210000.00",
        gross_profit="9000.00",
        of_series=magotan,
    )
    sale(
        me,
        datetime.date(2026, 10, 12),
        total="100000.01",
        gross_profit="3000.03",
        of_series=magotan,
        co_consultant=personas.colleague,
        co_share=Decimal("0.50"),
    )
    # Not counted: a cancelled order, and September's.
    sale(
        me,
        datetime.date(2026, 10, 11),
        total="200000.00",
        gross_profit="8000.00",
        of_series=magotan,
        status="cancelled",
    )
    sale(me, datetime.date(2026, 9, 30), total="90000.00", gross_profit="1.00", of_series=sagitar)
    sale(
        personas.other_consultant,
        datetime.date(2026, 10, 9),
        total="777777.77",
        gross_profit="7777.77",
        of_series=sagitar,
    )
    return sagitar, magotan


@pytest.mark.django_db
class TestMonthlySalesPlan:
    def test_targets_by_consultant_and_series_with_exact_totals(self, personas, october):
        report = services.sales_plan(Selection(personas.sales_manager), OCTOBER)
        rows = rows_of(report)
        colleague, consultant = personas.colleague.display_name, personas.consultant.display_name
        assert [(r["consultant"], r["series"]) for r in rows] == [
            (colleague, all_series()),
            (consultant, "一汽-大众 迈腾"),
            (consultant, "一汽-大众 速腾"),
            (consultant, all_series()),
        ]
        magotan = rows[1]
        assert (magotan["units_quota"], magotan["units_goal"]) == (4, 5)
        assert magotan["revenue_quota"] is None
        mine = rows[3]
        assert mine["team"] == "销售一组"
        assert (mine["revenue_quota"], mine["revenue_goal"]) == (
            Decimal("1500000.00"),
            Decimal("1800000.00"),
        )
        assert report.tables[0].rows[3].subtotal
        totals = totals_of(report)
        assert (totals["units_quota"], totals["units_goal"]) == (18, 22)
        assert totals["revenue_quota"] == Decimal("2700000.50")
        assert totals["revenue_goal"] == Decimal("3200000.00")
        assert totals["gross_profit_quota"] == Decimal("100000.25")
        assert totals["gross_profit_goal"] == Decimal("125000.00")

    def test_october_has_eighteen_working_days(self, personas, october):
        report = services.sales_plan(Selection(personas.sales_manager), OCTOBER)
        assert list(dict(report.facts).values()) == ["18"]

    def test_a_store_override_adds_a_working_day(self, personas, october):
        WorkdayOverride.objects.create(
            store=personas.store, date=datetime.date(2026, 10, 31), is_workday=True
        )
        report = services.sales_plan(Selection(personas.sales_manager), OCTOBER)
        assert list(dict(report.facts).values()) == ["19"]

    def test_consultant_sees_only_their_own_targets(self, personas, october):
        report = services.sales_plan(Selection(personas.consultant), OCTOBER)
        assert {r["consultant"] for r in rows_of(report)} == {personas.consultant.display_name}
        assert totals_of(report)["units_quota"] == 10

    def test_another_stores_plans_never_appear(self, personas, october):
        mine = services.sales_plan(Selection(personas.sales_manager), OCTOBER)
        assert personas.other_consultant.display_name not in {
            r["consultant"] for r in rows_of(mine)
        }
        theirs = services.sales_plan(Selection(personas.other_manager), OCTOBER)
        assert [r["consultant"] for r in rows_of(theirs)] == [
            personas.other_consultant.display_name
        ]
        assert totals_of(theirs)["units_quota"] == 99

    def test_a_manager_narrows_to_one_consultant_or_a_team(self, personas, october):
        one = services.sales_plan(
            Selection(personas.sales_manager, consultant=personas.colleague), OCTOBER
        )
        assert {r["consultant"] for r in rows_of(one)} == {personas.colleague.display_name}
        other_team = TeamFactory(store=personas.store, name="销售二组")
        nobody = services.sales_plan(Selection(personas.sales_manager, team=other_team), OCTOBER)
        assert rows_of(nobody) == []
        assert totals_of(nobody)["units_quota"] is None


@pytest.mark.django_db
class TestMonthlySalesStatistics:
    def test_actuals_by_consultant_and_series_against_quota_and_goal(self, personas, october):
        report = services.sales_stats(Selection(personas.sales_manager), OCTOBER, TODAY)
        rows = {(r["consultant"], r["series"]): r for r in rows_of(report)}
        me, them = personas.consultant.display_name, personas.colleague.display_name
        sagitar = rows[(me, "一汽-大众 速腾")]
        assert sagitar["units_actual"] == 2
        assert sagitar["revenue_actual"] == Decimal("298500.50")
        assert sagitar["gross_profit_actual"] == Decimal("11200.25")
        assert (sagitar["units_quota"], sagitar["units_goal"]) == (6, 7)
        assert sagitar["units_quota_rate"] == Decimal("0.3333")
        assert sagitar["units_goal_rate"] == Decimal("0.2857")
        # 迈腾: one own sale and half of the shared one (the odd fen goes to the first seller)
        magotan = rows[(me, "一汽-大众 迈腾")]
        assert magotan["units_actual"] == Decimal("1.50")
        assert magotan["revenue_actual"] == Decimal("260000.01")
        assert magotan["gross_profit_actual"] == Decimal("10500.02")
        assert magotan["units_quota_rate"] == Decimal("0.3750")
        mine = rows[(me, all_series())]
        assert mine["units_actual"] == Decimal("3.50")
        assert mine["revenue_actual"] == Decimal("558500.51")
        assert mine["gross_profit_actual"] == Decimal("21700.27")
        assert mine["units_quota_rate"] == Decimal("0.3500")
        assert mine["units_goal_rate"] == Decimal("0.2917")
        assert mine["revenue_quota_rate"] == Decimal("0.3723")
        assert mine["gross_profit_quota_rate"] == Decimal("0.3617")
        theirs = rows[(them, all_series())]
        assert theirs["units_actual"] == Decimal("0.50")
        assert theirs["revenue_actual"] == Decimal("50000.00")
        assert theirs["gross_profit_actual"] == Decimal("1500.01")
        assert theirs["revenue_quota_rate"] == Decimal("0.0417")
        totals = totals_of(report)
        assert totals["units_actual"] == 4
        assert totals["revenue_actual"] == Decimal("608500.51")
        assert totals["gross_profit_actual"] == Decimal("23200.28")
        assert totals["units_quota"] == 18
        assert totals["units_quota_rate"] == Decimal("0.2222")
        assert totals["revenue_quota_rate"] == Decimal("0.2254")

    def test_series_rows_add_up_to_what_plan_vs_actual_counts(self, personas, october):
        report = services.sales_stats(Selection(personas.sales_manager), OCTOBER, TODAY)
        counted = order_actuals(personas.sales_manager, OCTOBER)
        people = {personas.consultant.display_name: personas.consultant.pk}
        people[personas.colleague.display_name] = personas.colleague.pk
        for name, pk in people.items():
            parts = [r for r in report.tables[0].rows if r["consultant"] == name and not r.subtotal]
            for metric in ("units", "revenue", "gross_profit"):
                assert sum(r[f"{metric}_actual"] for r in parts) == counted[pk][metric]

    def test_working_days_elapsed_in_a_holiday_month(self, personas, october):
        report = services.sales_stats(Selection(personas.sales_manager), OCTOBER, TODAY)
        assert list(dict(report.facts).values()) == ["4 / 18", "22.2%"]

    def test_consultant_sees_only_their_own_rows_and_credit(self, personas, october):
        report = services.sales_stats(Selection(personas.colleague), OCTOBER, TODAY)
        assert {r["consultant"] for r in rows_of(report)} == {personas.colleague.display_name}
        assert totals_of(report)["revenue_actual"] == Decimal("50000.00")

    def test_another_stores_sales_never_appear(self, personas, october):
        report = services.sales_stats(Selection(personas.sales_manager), OCTOBER, TODAY)
        assert personas.other_consultant.display_name not in {
            r["consultant"] for r in rows_of(report)
        }
        theirs = services.sales_stats(Selection(personas.other_manager), OCTOBER, TODAY)
        assert totals_of(theirs)["revenue_actual"] == Decimal("777777.77")

    def test_a_seller_without_a_plan_still_shows_with_no_completion(self, personas, october):
        newcomer = UserFactory(username="newcomer", store=personas.store)
        sale(
            newcomer,
            datetime.date(2026, 10, 20),
            total="120000.00",
            gross_profit="100.00",
            of_series=october[0],
        )
        report = services.sales_stats(Selection(personas.sales_manager), OCTOBER, TODAY)
        row = next(
            r
            for r in rows_of(report)
            if r["consultant"] == newcomer.display_name and r["series"] == all_series()
        )
        assert row["units_actual"] == 1 and row["units_quota"] is None
        assert row["units_quota_rate"] is None


@pytest.mark.django_db
def test_a_group_manager_narrowed_to_a_store_gets_the_same_figures(personas, october):
    """Only the store's orders are read, yet a sale shared with another store still counts."""
    sale(
        personas.other_consultant,
        datetime.date(2026, 10, 14),
        total="90000.03",
        gross_profit="900.01",
        of_series=october[0],
        co_consultant=personas.consultant,
        co_share=Decimal("0.25"),
    )
    group = personas.group_manager
    narrowed = services.sales_stats(Selection(group, store=personas.store), OCTOBER, TODAY)
    counted = order_actuals(group, OCTOBER)
    subtotals = {r["consultant"]: r for r in rows_of(narrowed) if r["series"] == all_series()}
    assert set(subtotals) == {personas.consultant.display_name, personas.colleague.display_name}
    for person in (personas.consultant, personas.colleague):
        for metric in ("units", "revenue", "gross_profit"):
            assert subtotals[person.display_name][f"{metric}_actual"] == counted[person.pk][metric]
    assert totals_of(narrowed)["units_actual"] == Decimal("4.25")


@pytest.mark.django_db
class TestYearPlan:
    @pytest.fixture
    def plans(self, personas):
        parent = year_plan(
            personas.store, 2026, [("revenue", "5600000.00", "7000000.00"), ("units", 120, 150)]
        )
        for number in range(1, 13):
            last = number == 12
            month_plan(
                personas.store,
                datetime.date(2026, number, 1),
                year_plan=parent,
                lines=[
                    ("units", 10, 12 if not last else 18),
                    (
                        "revenue",
                        "466666.63" if last else "466666.67",
                        "583333.37" if last else "583333.33",
                    ),
                ],
            )
            month_plan(
                personas.store,
                datetime.date(2026, number, 1),
                consultant=personas.consultant,
                lines=[("units", 4, 5)],
            )

    def test_months_add_up_to_the_year_to_the_fen(self, personas, plans):
        report = services.year_plan(Selection(personas.general_manager), 2026)
        rows = rows_of(report)
        assert [r["month"] for r in rows] == [f"2026-{m:02d}" for m in range(1, 13)]
        assert rows[9]["workdays"] == 18
        totals = totals_of(report)
        assert totals["revenue_quota"] == Decimal("5600000.00")
        assert totals["revenue_goal"] == Decimal("7000000.00")
        assert (totals["units_quota"], totals["units_goal"]) == (120, 150)
        assert totals["gross_profit_quota"] is None
        assert totals["workdays"] == sum(r["workdays"] for r in rows)
        facts = dict(report.facts)
        assert any("5,600,000.00" in value and "7,000,000.00" in value for value in facts.values())

    def test_consultant_sees_their_own_months(self, personas, plans):
        report = services.year_plan(Selection(personas.consultant), 2026)
        assert totals_of(report)["units_quota"] == 48
        assert report.facts == []

    def test_another_store_sees_an_empty_year(self, personas, plans):
        report = services.year_plan(Selection(personas.other_manager), 2026)
        assert totals_of(report)["units_quota"] is None


@pytest.mark.django_db
class TestYearSummary:
    @pytest.fixture
    def year(self, personas):
        sagitar = series("速腾")
        for number in range(1, 13):
            month_plan(
                personas.store,
                datetime.date(2026, number, 1),
                lines=[("units", 10, 12), ("revenue", "1000000.00", "1200000.00")],
            )
        for day in (3, 4, 5):
            sale(
                personas.consultant,
                datetime.date(2026, 3, day),
                total="150000.00",
                gross_profit="5000.00",
                of_series=sagitar,
            )
        for total in ("160000.00", "160000.00", "200000.00"):
            sale(
                personas.colleague,
                datetime.date(2026, 10, 20),
                total=total,
                gross_profit="4000.00",
                of_series=sagitar,
            )
        sale(
            personas.consultant,
            datetime.date(2026, 11, 2),
            total="999999.00",
            gross_profit="1.00",
            of_series=sagitar,
            status="cancelled",
        )
        sale(
            personas.other_consultant,
            datetime.date(2026, 5, 2),
            total="300000.00",
            gross_profit="1.00",
            of_series=sagitar,
        )

    def test_months_against_plan_totals_and_best_months(self, personas, year):
        report = services.year_summary(Selection(personas.sales_manager), 2026)
        rows = rows_of(report)
        march, october = rows[2], rows[9]
        assert (march["units_actual"], march["revenue_actual"]) == (3, Decimal("450000.00"))
        assert march["units_quota_rate"] == Decimal("0.3000")
        assert october["revenue_actual"] == Decimal("520000.00")
        assert october["revenue_goal_rate"] == Decimal("0.4333")
        assert rows[4]["units_actual"] == 0  # another store's May sale is not ours
        assert rows[10]["units_actual"] == 0  # cancelled
        totals = totals_of(report)
        assert totals["units_actual"] == 6
        assert totals["revenue_actual"] == Decimal("970000.00")
        assert totals["gross_profit_actual"] == Decimal("27000.00")
        assert totals["units_quota"] == 120
        assert totals["revenue_quota_rate"] == Decimal("0.0808")
        assert totals["gross_profit_quota_rate"] is None
        best_units, best_revenue = (value for _label, value in report.facts)
        assert best_units == "2026-03 (3)"  # a tie with October: the earlier month
        assert best_revenue == "2026-10 (520,000.00)"

    def test_narrowed_to_one_consultant(self, personas, year):
        report = services.year_summary(
            Selection(personas.sales_manager, consultant=personas.colleague), 2026
        )
        assert totals_of(report)["units_actual"] == 3
        # by person: the store's month plans are not the colleague's targets
        assert totals_of(report)["units_quota"] is None

    def test_consultant_sees_their_own_sales_only(self, personas, year):
        report = services.year_summary(Selection(personas.consultant), 2026)
        assert totals_of(report)["revenue_actual"] == Decimal("450000.00")

    def test_a_year_without_sales_has_no_best_month(self, personas):
        report = services.year_summary(Selection(personas.sales_manager), 2031)
        assert report.facts == []
        assert totals_of(report)["units_actual"] == 0
