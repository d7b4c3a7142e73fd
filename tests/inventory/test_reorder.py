import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from hypothesis import assume, given
from hypothesis import strategies as st

from dealerplan.inventory import forecast as fc
from dealerplan.inventory import reorder
from dealerplan.inventory.choices import VehicleStatus
from dealerplan.inventory.models import (
    FactoryOrder,
    FactoryOrderLine,
    FactoryOrderStatus,
    ReorderReason,
    ReorderSettings,
)
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder
from tests.factories import (
    ColorFactory,
    CustomerFactory,
    SalesOrderFactory,
    TrimFactory,
    VehicleFactory,
)

TODAY = datetime.date(2026, 11, 30)  # a Monday
LAST_MONDAY = TODAY - datetime.timedelta(weeks=1)
demands = st.floats(min_value=0, max_value=500, allow_nan=False, allow_infinity=False)
supplies = st.integers(min_value=0, max_value=500)
backlogs = st.integers(min_value=0, max_value=50)


# -- pure calculation ------------------------------------------------------------------------


class TestQuantity:
    def test_cover_is_lead_time_plus_target_days_in_weeks(self):
        assert reorder.cover_weeks(3, 30) == pytest.approx(3 + 30 / 7)

    @pytest.mark.parametrize(
        ("demand", "supply", "backlog", "expected"),
        [(7.3, 3, 0, 4), (2.5, 2, 0, 1), (2.49, 2, 0, 0), (2.4, 5, 0, 0), (1.0, 2, 3, 2)],
    )
    def test_rounds_half_up_to_whole_cars_and_never_below_zero(
        self, demand, supply, backlog, expected
    ):
        assert reorder.suggested_quantity(demand, supply, backlog) == expected

    def test_infinite_demand_is_refused(self):
        with pytest.raises(ValueError, match="finite"):
            reorder.suggested_quantity(float("inf"), 0)


@given(demands, supplies, backlogs)
def test_suggestion_is_a_whole_number_never_negative(demand, supply, backlog):
    qty = reorder.suggested_quantity(demand, supply, backlog)
    assert isinstance(qty, int)
    assert qty >= 0


@given(demands, supplies, backlogs)
def test_suggestion_is_zero_when_supply_covers_the_forecast(demand, supply, backlog):
    assume(supply >= demand + backlog)
    assert reorder.suggested_quantity(demand, supply, backlog) == 0


@given(demands, demands, supplies, backlogs)
def test_suggestion_never_falls_when_demand_rises(a, b, supply, backlog):
    low, high = sorted((a, b))
    assert reorder.suggested_quantity(low, supply, backlog) <= reorder.suggested_quantity(
        high, supply, backlog
    )


@given(demands, supplies, st.floats(min_value=0.31, max_value=1))
def test_colour_with_too_much_aged_stock_is_held_back_at_zero(demand, supply, share):
    suggestion = reorder.suggest(
        (1, 1),
        weekly_forecast=[demand] * 8,
        method=fc.RECENT_MEAN,
        position=reorder.Position(in_stock=supply),
        weeks=7.3,
        colour_aged_share=share,
        aged_share_limit=0.30,
    )
    assert suggestion.qty == 0
    assert suggestion.reason == ReorderReason.AGED


class TestReasons:
    def suggest(self, demand_per_week, position, method=fc.RECENT_MEAN, share=None):
        return reorder.suggest(
            (1, 1),
            weekly_forecast=[demand_per_week] * 8,
            method=method,
            position=position,
            weeks=reorder.cover_weeks(3, 30),
            colour_aged_share=share,
            aged_share_limit=0.30,
        )

    def test_shortfall_is_ordered(self):
        s = self.suggest(1.0, reorder.Position(in_stock=2, in_transit=1, on_order=1))
        assert (s.qty, s.reason) == (3, ReorderReason.ORDER)  # 7.29 - 4

    def test_waiting_customer_orders_add_to_the_need(self):
        s = self.suggest(1.0, reorder.Position(in_stock=2, in_transit=1, on_order=1, backlog=2))
        assert s.qty == 5

    def test_enough_supply_is_covered(self):
        s = self.suggest(0.5, reorder.Position(in_stock=9))
        assert (s.qty, s.reason) == (0, ReorderReason.COVERED)

    def test_no_history_says_so(self):
        s = self.suggest(0.0, reorder.Position(in_stock=1), method=fc.NO_HISTORY)
        assert s.reason == ReorderReason.NO_DEMAND

    def test_share_at_the_limit_is_not_held(self):
        assert self.suggest(1.0, reorder.Position(), share=0.30).reason == ReorderReason.ORDER


class TestAgedShare:
    def test_share_of_cars_over_ninety_days(self):
        days = [TODAY - datetime.timedelta(days=d) for d in (91, 90, 10, 200)]
        assert reorder.aged_share(days, TODAY) == 0.5

    def test_no_stock_has_no_share(self):
        assert reorder.aged_share([], TODAY) is None


class TestOutstandingLines:
    def at(self, day, hour=10):
        return datetime.datetime(2026, 11, day, hour, tzinfo=datetime.UTC)

    def test_cars_recorded_after_submission_fill_the_line(self):
        lines = [((1, 1), self.at(23), 3)]
        arrivals = [((1, 1), self.at(22)), ((1, 1), self.at(24)), ((1, 2), self.at(24))]
        assert reorder.outstanding_lines(lines, arrivals) == {(1, 1): 2}

    def test_oldest_line_is_filled_first(self):
        lines = [((1, 1), self.at(16), 1), ((1, 1), self.at(23), 2)]
        arrivals = [((1, 1), self.at(24)), ((1, 1), self.at(25))]
        assert reorder.outstanding_lines(lines, arrivals) == {(1, 1): 1}

    def test_filled_lines_disappear(self):
        assert reorder.outstanding_lines([((1, 1), self.at(16), 1)], [((1, 1), self.at(17))]) == {}


def test_orders_without_colour_follow_the_trims_colour_mix():
    coloured = {(1, 10): [3.0, 0.0], (1, 11): [1.0, 0.0], (2, 10): [1.0, 1.0]}
    result = reorder.spread_uncoloured(coloured, {1: [0.0, 4.0], 3: [1.0, 1.0]})
    assert result[(1, 10)] == [3.0, 3.0]
    assert result[(1, 11)] == [1.0, 1.0]
    assert result[(2, 10)] == [1.0, 1.0]
    assert (3, 10) not in result  # no colour mix to follow


# -- with the database -------------------------------------------------------------------------


@pytest.fixture
def shop(personas):
    """A store with weekly sales of one trim in white, and some black stock."""
    trim = TrimFactory()
    white = ColorFactory(name="极地白")
    black = ColorFactory(name="深黑珍珠")
    customer = CustomerFactory(owner=personas.consultant)
    return personas.store, trim, white, black, customer


def sell(customer, trim, color, days, status=OrderStatus.DELIVERED):
    SalesOrder.objects.bulk_create(
        SalesOrderFactory.build(
            customer=customer, trim=trim, color=color, order_date=day, status=status
        )
        for day in days
    )


def weekly(weeks, weekday=2):
    """One day in each of the last ``weeks`` full weeks before TODAY."""
    return [LAST_MONDAY - datetime.timedelta(weeks=i) + datetime.timedelta(days=weekday)
            for i in range(weeks)]  # fmt: skip


def vehicles(store, trim, color, status, count, arrival_days=5):
    arrival = TODAY - datetime.timedelta(days=arrival_days)
    for _ in range(count):
        VehicleFactory(
            store=store,
            trim=trim,
            color=color,
            status=status,
            arrival_date=arrival if status == VehicleStatus.IN_STOCK else None,
        )


@pytest.mark.django_db
class TestHistories:
    def test_cancelled_orders_and_this_week_do_not_count(self, shop):
        store, trim, white, _black, customer = shop
        sell(customer, trim, white, weekly(3))
        sell(customer, trim, white, weekly(1), status=OrderStatus.CANCELLED)
        sell(customer, trim, white, [TODAY])  # this week is not over
        assert reorder.order_histories(store, TODAY) == {(trim.pk, white.pk): [1.0, 1.0, 1.0]}

    def test_weeks_without_sales_are_zero(self, shop):
        store, trim, white, _black, customer = shop
        sell(customer, trim, white, [weekly(4)[-1], weekly(1)[0]])
        assert reorder.order_histories(store, TODAY)[(trim.pk, white.pk)] == [1, 0, 0, 1]

    def test_another_stores_orders_are_not_read(self, shop, personas):
        store, trim, white, _black, _customer = shop
        sell(CustomerFactory(owner=personas.other_consultant), trim, white, weekly(3))
        assert reorder.order_histories(store, TODAY) == {}


@pytest.mark.django_db
class TestPrepareFactoryOrder:
    @pytest.fixture
    def stocked(self, shop):
        store, trim, white, black, customer = shop
        sell(customer, trim, white, weekly(13))  # 1 a week: 7.29 over the cover period
        vehicles(store, trim, white, VehicleStatus.IN_STOCK, 2)
        vehicles(store, trim, white, VehicleStatus.IN_TRANSIT, 1)
        vehicles(store, trim, white, VehicleStatus.ORDERED, 1)
        vehicles(store, trim, white, VehicleStatus.SOLD, 3)  # not supply
        vehicles(store, trim, black, VehicleStatus.IN_STOCK, 2, arrival_days=100)
        sell(customer, trim, black, weekly(13, weekday=3))
        return shop

    def lines(self, order):
        return {(line.trim_id, line.color_id): line for line in order.lines.all()}

    def test_draft_has_the_figures_and_the_suggestion(self, stocked):
        store, trim, white, _black, _customer = stocked
        order = reorder.prepare_factory_order(store, TODAY)
        assert order.week_start == TODAY and order.status == FactoryOrderStatus.DRAFT
        line = self.lines(order)[(trim.pk, white.pk)]
        assert (line.in_stock, line.in_transit, line.on_order) == (2, 1, 1)
        assert line.forecast_qty == Decimal("7.3")
        assert line.suggested_qty == line.ordered_qty == 3
        assert line.reason == ReorderReason.ORDER
        assert FactoryOrderLine.history.filter(history_type="+").count() == order.lines.count()

    def test_colour_with_old_stock_is_held_back(self, stocked):
        store, trim, _white, black, _customer = stocked
        line = self.lines(reorder.prepare_factory_order(store, TODAY))[(trim.pk, black.pk)]
        assert line.suggested_qty == 0
        assert line.reason == ReorderReason.AGED
        assert line.aged_share == Decimal("1.00")
        assert "100%" in line.reason_text and "90" in line.reason_text

    def test_store_settings_change_the_cover(self, stocked):
        store, trim, white, _black, _customer = stocked
        ReorderSettings.objects.create(store=store, lead_time_weeks=1, target_days_of_supply=7)
        line = self.lines(reorder.prepare_factory_order(store, TODAY))[(trim.pk, white.pk)]
        assert line.suggested_qty == 0  # 2 weeks of 1 a week against 4 cars
        assert line.reason == ReorderReason.COVERED

    def test_waiting_customer_orders_raise_the_suggestion(self, stocked):
        store, trim, white, _black, customer = stocked
        sell(customer, trim, white, [LAST_MONDAY], status=OrderStatus.CONFIRMED)
        line = self.lines(reorder.prepare_factory_order(store, TODAY))[(trim.pk, white.pk)]
        assert line.backlog == 1

    def test_running_twice_changes_nothing(self, stocked):
        store = stocked[0]
        first = reorder.prepare_factory_order(store, TODAY)
        before = [(line.pk, line.ordered_qty, line.updated_at) for line in first.lines.all()]
        history = FactoryOrderLine.history.count()
        second = reorder.prepare_factory_order(store, TODAY)
        assert second.pk == first.pk
        assert [(li.pk, li.ordered_qty, li.updated_at) for li in second.lines.all()] == before
        assert FactoryOrderLine.history.count() == history
        assert FactoryOrder.objects.count() == 1

    def test_refresh_keeps_the_managers_quantity_and_follows_new_stock(self, stocked, personas):
        store, trim, white, _black, _customer = stocked
        order = reorder.prepare_factory_order(store, TODAY)
        line = self.lines(order)[(trim.pk, white.pk)]
        reorder.save_quantities(personas.sales_manager, order, {line.pk: 5})
        vehicles(store, trim, white, VehicleStatus.IN_STOCK, 2)
        line.refresh_from_db()
        reorder.prepare_factory_order(store, TODAY)
        line.refresh_from_db()
        assert (line.suggested_qty, line.ordered_qty) == (1, 5)

    def test_submitted_order_is_left_alone(self, stocked, personas):
        store = stocked[0]
        order = reorder.prepare_factory_order(store, TODAY)
        reorder.submit_factory_order(personas.sales_manager, order)
        vehicles(store, stocked[1], stocked[2], VehicleStatus.IN_STOCK, 5)
        again = reorder.prepare_factory_order(store, TODAY)
        assert again.status == FactoryOrderStatus.SUBMITTED
        assert [li.suggested_qty for li in again.lines.all()] == [
            li.suggested_qty for li in order.lines.all()
        ]

    def test_last_weeks_submitted_lines_count_as_on_order_until_cars_are_recorded(
        self, stocked, personas
    ):
        store, trim, white, _black, _customer = stocked
        last_week = reorder.prepare_factory_order(store, LAST_MONDAY)
        line = self.lines(last_week)[(trim.pk, white.pk)]
        reorder.submit_factory_order(personas.sales_manager, last_week, {line.pk: 3})
        this_week = self.lines(reorder.prepare_factory_order(store, TODAY))[(trim.pk, white.pk)]
        assert this_week.on_order == 1 + 3
        vehicles(store, trim, white, VehicleStatus.ORDERED, 2)  # the factory confirmed two
        refreshed = self.lines(reorder.prepare_factory_order(store, TODAY))[(trim.pk, white.pk)]
        assert refreshed.on_order == 3 + 1


@pytest.mark.django_db
class TestEditAndSubmit:
    @pytest.fixture
    def order(self, shop):
        store, trim, white, _black, customer = shop
        sell(customer, trim, white, weekly(13))
        return reorder.prepare_factory_order(store, TODAY)

    def test_bad_quantity_is_refused_and_nothing_is_written(self, order, personas):
        line = order.lines.get()
        other = FactoryOrderLine.objects.create(
            order=order, trim=TrimFactory(), color=line.color, reason=ReorderReason.ORDER
        )
        with pytest.raises(ValidationError):
            reorder.save_quantities(personas.sales_manager, order, {other.pk: 4, line.pk: -1})
        other.refresh_from_db()
        assert other.ordered_qty == 0

    def test_consultant_cannot_change_quantities(self, order, personas):
        with pytest.raises(PermissionDenied):
            reorder.save_quantities(personas.consultant, order, {})

    def test_another_stores_manager_cannot_submit(self, order, personas):
        with pytest.raises(PermissionDenied):
            reorder.submit_factory_order(personas.other_manager, order)

    def test_submitted_order_records_who_and_when_and_is_then_read_only(self, order, personas):
        line = order.lines.get()
        reorder.submit_factory_order(personas.sales_manager, order, {line.pk: 6})
        order.refresh_from_db()
        assert order.submitted_by == personas.sales_manager
        assert order.submitted_at is not None
        assert order.lines.get().ordered_qty == 6
        assert order.history.first().status == FactoryOrderStatus.SUBMITTED
        with pytest.raises(ValidationError):
            reorder.save_quantities(personas.sales_manager, order, {line.pk: 1})


@pytest.mark.django_db
class TestCommands:
    def test_suggest_factory_order_is_idempotent_per_store(self, shop):
        store, trim, white, _black, customer = shop
        sell(customer, trim, white, weekly(5))
        out = io.StringIO()
        call_command("suggest_factory_order", today=TODAY.isoformat(), stdout=out)
        call_command("suggest_factory_order", today=TODAY.isoformat(), stdout=out)
        # personas make two stores; each gets exactly one draft for the week.
        assert FactoryOrder.objects.filter(week_start=TODAY).count() == 2
        assert f"{store.code}: week of {TODAY} draft, 1 lines" in out.getvalue()

    def test_backtest_prints_mase_side_by_side(self, shop):
        store, trim, white, _black, customer = shop
        sell(customer, trim, white, weekly(20)[::2] + weekly(20)[::3])
        out = io.StringIO()
        call_command(
            "backtest_forecast",
            store=store.code,
            weeks=8,
            horizon=2,
            today=TODAY.isoformat(),
            stdout=out,
        )
        text = out.getvalue()
        for label in ("chosen", "seasonal naive", "naive", "trim × colour", "series"):
            assert label in text
        assert "n/a" in text  # 20 weeks is too short for seasonal naive
