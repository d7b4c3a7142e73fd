"""The demo's orders carry the new sections realistically and obey the same rules as the app:
lines add up, gross profit is the service's, delivered orders pass every delivery check."""

import datetime
import io
import itertools
from decimal import Decimal

import pytest
from django.core.management import call_command

from dealerplan.deals.models import Deal, StageChange
from dealerplan.orders import services
from dealerplan.orders.models import PLATE_RE, SalesOrder

TODAY = datetime.date(2026, 11, 15)


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO(), size="tiny", seed=1, today=TODAY.isoformat())
    return SalesOrder.objects.prefetch_related("accessory_lines", "payments").select_related(
        "vehicle", "trim__series"
    )


def test_accessory_lines_add_up_and_gross_profit_is_the_services(demo):
    assert any(order.accessory_lines.all() for order in demo)
    for order in demo:
        assert sum((x.price for x in order.accessory_lines.all()), Decimal("0")) == (
            order.accessories_amount
        )
        assert all(Decimal("0") <= x.cost < x.price for x in order.accessory_lines.all())
        assert order.gross_profit == services.gross_profit_breakdown(order).total


def test_delivered_orders_pass_every_delivery_check(demo):
    delivered = [o for o in demo if o.status == "delivered"]
    assert delivered
    plates = [o.plate_number for o in delivered]
    assert len(set(plates)) == len(plates)
    insured = 0
    for order in delivered:
        assert order.checklist_complete and order.checklist_completed_at is not None
        assert order.invoice_number and order.invoice_date <= order.delivery_date
        # A few cash buyers keep a small balance (尾款) so receivables have something to show.
        assert services.receivable(order) <= 4000 or order.loan_status == "disbursed"
        assert PLATE_RE.fullmatch(order.plate_number) and order.plate_number.startswith("京")
        assert order.plate_number[2] in "DF" if order.trim.series.name == "ID.4" else True
        assert order.registration_date <= order.delivery_date
        if order.insurance_company:
            insured += 1
            assert Decimal("4000") <= order.insurance_premium <= Decimal("9000")
            rate = order.insurance_commission / order.insurance_premium
            assert Decimal("0.099") <= rate <= Decimal("0.201")
    assert insured >= len(delivered) * 0.6


def test_loans_have_dates_in_order_and_match_the_loan_payment(demo):
    loans = [o for o in demo if o.financing == "loan" and o.loan_status]
    assert loans
    for order in loans:
        assert order.loan_lender and order.loan_amount > 0
        if order.loan_status == "disbursed":
            payment = next(p for p in order.payments.all() if p.kind == "loan")
            assert payment.amount == order.loan_amount
            assert order.loan_applied_on <= order.loan_approved_on <= order.loan_disbursed_on
            assert order.loan_disbursed_on == payment.received_on
            assert order.loan_commission > 0
        if order.loan_status == "rejected":
            assert order.loan_commission == 0


def test_trade_ins_reduce_what_was_paid(demo):
    for order in demo:
        paid = services.paid_amount(order)
        assert paid + order.trade_in_value <= order.total
        assert bool(order.trade_in_value) == bool(order.trade_in_vehicle)


def test_every_deal_has_a_stage_history_ending_where_it_stands(demo):
    for deal in Deal.objects.all():
        changes = list(StageChange.objects.filter(deal=deal).order_by("changed_at", "pk"))
        assert changes and changes[0].from_stage is None and changes[-1].to_stage == deal.stage
        assert changes[0].changed_at == deal.created_at
        times = [c.changed_at for c in changes]
        assert times == sorted(times)
        for before, after in itertools.pairwise(changes):
            assert after.from_stage == before.to_stage
