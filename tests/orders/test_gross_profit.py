"""Gross profit (毛利): vehicle margin, accessories margin, insurance and loan commissions,
exact to the fen and kept on the order whenever an input changes."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.orders import services
from dealerplan.orders.services import LineInput, compose_gross_profit
from tests.orders.factories_orders import allocated_order, order_for

fen = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n) / 100)


@settings(max_examples=300, deadline=None)
@given(
    price=fen,
    discount=fen,
    cost=st.none() | fen,
    lines=st.lists(st.tuples(fen, fen), max_size=8),
    insurance=fen,
    loan=fen,
)
def test_total_is_exactly_the_sum_of_the_parts(price, discount, cost, lines, insurance, loan):
    parts = compose_gross_profit(
        vehicle_price=price,
        discount=discount,
        vehicle_cost=cost,
        lines=lines,
        insurance_commission=insurance,
        loan_commission=loan,
    )
    assert parts.total == (
        parts.vehicle_margin
        + parts.accessories_margin
        + parts.insurance_commission
        + parts.loan_commission
    )
    assert parts.vehicle_margin == (Decimal("0") if cost is None else price - discount - cost)
    assert parts.accessories_margin == sum((p - c for p, c in lines), Decimal("0"))
    for value in (parts.total, parts.vehicle_margin, parts.accessories_margin):
        assert value.as_tuple().exponent == -2


def test_awkward_amounts_add_up_to_the_fen():
    parts = compose_gross_profit(
        vehicle_price=Decimal("123456.78"),
        discount=Decimal("3333.33"),
        vehicle_cost=Decimal("99999.99"),
        lines=[
            (Decimal("0.01"), Decimal("0")),
            (Decimal("0.07"), Decimal("0.03")),
            (Decimal("33333.33"), Decimal("22222.22")),
        ],
        insurance_commission=Decimal("844.83"),
        loan_commission=Decimal("0.07"),
    )
    assert parts.vehicle_margin == Decimal("20123.46")
    assert parts.accessories_margin == Decimal("11111.16")
    assert str(parts.total) == "32079.52"


def test_unknown_vehicle_cost_counts_as_zero_and_says_so():
    parts = compose_gross_profit(
        vehicle_price=Decimal("100000"),
        discount=Decimal("0"),
        vehicle_cost=None,
        lines=[],
        insurance_commission=Decimal("0"),
        loan_commission=Decimal("0"),
    )
    assert parts.vehicle_margin == 0 and not parts.vehicle_cost_known


@pytest.mark.django_db
def test_stored_gross_profit_follows_every_input(personas):
    order = allocated_order(personas.consultant, total="100000.00", cost="88888.88")
    user = personas.consultant

    def stored():
        order.refresh_from_db()
        assert order.gross_profit == services.gross_profit_breakdown(order).total
        return order.gross_profit

    services.set_accessory_lines(user, order, [LineInput("膜", Decimal("0.07"), Decimal("0.01"))])
    assert stored() == Decimal("11111.18")
    services.record_insurance(
        user, order, company="人保", premium=Decimal("4000.00"), commission=Decimal("600.01")
    )
    assert stored() == Decimal("11711.19")
    order.financing = "loan"
    order.save()
    services.apply_loan(
        user, order, lender="工行", amount=Decimal("1"), commission=Decimal("33333.33")
    )
    assert stored() == Decimal("45044.52")
    services.reject_loan(user, order)
    assert stored() == Decimal("11711.19")


@pytest.mark.django_db
def test_a_new_order_without_a_vehicle_has_only_the_accessories_margin(personas):
    order = order_for(personas.consultant)
    assert services.gross_profit_breakdown(order).total == Decimal("0")
