"""The order's sections as services: car loan steps, insurance, plate, checklist, accessories,
trade-in, draft edits, orders from deals, and what delivery now needs."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from dealerplan.activities.models import Activity
from dealerplan.inventory.models import Vehicle
from dealerplan.orders import services
from dealerplan.orders.models import AccessoryLine, Payment, SalesOrder
from dealerplan.orders.services import LineInput
from tests.factories import (
    ColorFactory,
    CustomerFactory,
    DealFactory,
    PaymentFactory,
    SeriesFactory,
    TrimFactory,
    VehicleFactory,
)
from tests.orders.factories_orders import ALL_TICKED, DAY, allocated_order, order_for

NOON = datetime.datetime(2026, 11, 20, 4, tzinfo=datetime.UTC)  # 12:00 in Shanghai
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon_in_shanghai():
    with time_machine.travel(NOON, tick=False):
        yield


def codes(error: ValidationError) -> set[str]:
    """Every code in a refusal, whether tied to a field or not."""
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def refused(code, call, *args, **kwargs):
    with pytest.raises(ValidationError) as error:
        call(*args, **kwargs)
    assert code in codes(error.value), (code, error.value)
    return error.value


def loan_order(owner, **extra):
    return allocated_order(owner, financing="loan", **extra)


class TestLoanSteps:
    def test_applied_approved_disbursed_records_the_loan_payment(self, personas):
        order = loan_order(personas.consultant)
        PaymentFactory(order=order, kind="down_payment", amount=Decimal("30000.00"))
        services.apply_loan(
            personas.consultant,
            order,
            lender="大众汽车金融",
            amount=Decimal("70000.00"),
            commission=Decimal("1400.00"),
            on=DAY,
        )
        services.approve_loan(personas.consultant, order, on=DAY)
        payment = services.disburse_loan(personas.finance, order, on=DAY, reference="DK01")
        order.refresh_from_db()
        assert (order.loan_status, order.loan_applied_on, order.loan_disbursed_on) == (
            "disbursed",
            DAY,
            DAY,
        )
        assert (payment.kind, payment.method, payment.amount) == ("loan", "loan", Decimal("70000"))
        assert services.receivable(order) == Decimal("0.00")
        assert order.gross_profit == Decimal("10000.00") + Decimal("1400.00")

    @pytest.mark.parametrize(
        ("status", "step"),
        [
            ("", "approve"),
            ("", "disburse"),
            ("", "reject"),
            ("applied", "apply"),
            ("applied", "disburse"),
            ("approved", "apply"),
            ("approved", "approve"),
            ("disbursed", "reject"),
            ("disbursed", "approve"),
            ("disbursed", "disburse"),
            ("rejected", "approve"),
            ("rejected", "disburse"),
        ],
    )
    def test_illegal_transitions_are_refused_and_change_nothing(self, personas, status, step):
        order = loan_order(personas.consultant, loan_status=status, loan_amount=Decimal("1"))
        user = personas.finance
        calls = {
            "apply": lambda: services.apply_loan(
                user, order, lender="工行", amount=Decimal("1000.00")
            ),
            "approve": lambda: services.approve_loan(user, order),
            "disburse": lambda: services.disburse_loan(user, order),
            "reject": lambda: services.reject_loan(user, order),
        }
        refused("loan_transition", calls[step])
        order.refresh_from_db()
        assert order.loan_status == status and not Payment.objects.exists()

    def test_rejected_or_approved_loans_can_be_rejected_and_applied_again(self, personas):
        order = loan_order(personas.consultant)
        services.apply_loan(
            personas.consultant,
            order,
            lender="建行",
            amount=Decimal("50000.00"),
            commission=Decimal("900.00"),
        )
        services.approve_loan(personas.consultant, order)
        services.reject_loan(personas.consultant, order)
        order.refresh_from_db()
        assert order.loan_status == "rejected" and order.loan_commission == 0
        assert order.gross_profit == Decimal("10000.00")  # no commission from a rejected loan
        services.apply_loan(personas.consultant, order, lender="招行", amount=Decimal("40000"))
        order.refresh_from_db()
        assert (order.loan_status, order.loan_lender, order.loan_approved_on) == (
            "applied",
            "招行",
            None,
        )

    def test_only_loan_orders_take_loan_steps(self, personas):
        order = allocated_order(personas.consultant, financing="cash")
        refused(
            "not_a_loan_order",
            services.apply_loan,
            personas.consultant,
            order,
            lender="工行",
            amount=Decimal("1000"),
        )

    def test_loan_above_what_the_customer_pays_is_refused(self, personas):
        order = loan_order(personas.consultant, trade_in_value=Decimal("20000.00"))
        refused(
            "loan_too_high",
            services.apply_loan,
            personas.consultant,
            order,
            lender="工行",
            amount=Decimal("80000.01"),
        )
        services.apply_loan(personas.consultant, order, lender="工行", amount=Decimal("80000"))

    def test_disbursing_more_than_is_owed_is_refused(self, personas):
        order = loan_order(
            personas.consultant, loan_status="approved", loan_amount=Decimal("80000")
        )
        PaymentFactory(order=order, kind="down_payment", amount=Decimal("30000.00"))
        refused("loan_exceeds_due", services.disburse_loan, personas.finance, order)
        order.refresh_from_db()
        assert order.loan_status == "approved" and order.payments.count() == 1

    def test_consultant_cannot_record_the_disbursement(self, personas):
        order = loan_order(personas.consultant, loan_status="approved", loan_amount=Decimal("1"))
        with pytest.raises(PermissionDenied):
            services.disburse_loan(personas.consultant, order)

    def test_dates_go_forward_and_not_into_the_future(self, personas):
        order = loan_order(personas.consultant)
        refused(
            "future_date",
            services.apply_loan,
            personas.consultant,
            order,
            lender="工行",
            amount=Decimal("1000"),
            on=DAY + datetime.timedelta(days=1),
        )
        services.apply_loan(personas.consultant, order, lender="工行", amount=Decimal("1000"))
        refused(
            "date_order",
            services.approve_loan,
            personas.consultant,
            order,
            on=DAY - datetime.timedelta(days=1),
        )

    def test_each_loan_step_leaves_a_history_row(self, personas):
        order = loan_order(personas.consultant)
        before = order.history.count()
        services.apply_loan(personas.consultant, order, lender="工行", amount=Decimal("60000"))
        services.approve_loan(personas.consultant, order)
        services.disburse_loan(personas.finance, order)
        statuses = [h.loan_status for h in order.history.order_by("history_date", "history_id")]
        assert statuses[before:] == ["applied", "approved", "disbursed"]
        assert Payment.history.filter(order_id=order.pk, kind="loan").count() == 1


class TestDelivery:
    def test_delivery_needs_checklist_invoice_and_money_or_a_disbursed_loan(self, personas):
        order = allocated_order(personas.consultant, invoice_number="")
        refused("no_invoice", services.deliver_order, user=personas.consultant, order=order)
        SalesOrder.objects.filter(pk=order.pk).update(invoice_number="FP9")
        refused("not_paid", services.deliver_order, user=personas.consultant, order=order)
        PaymentFactory(order=order, kind="balance", amount=Decimal("100000.00"))
        error = refused(
            "checklist_incomplete", services.deliver_order, user=personas.consultant, order=order
        )
        assert "客户已签收" in str(error) or "customer signed off" in str(error)
        services.update_checklist(
            personas.consultant, order, **{**ALL_TICKED, "customer_signed_off": False}
        )
        refused(
            "checklist_incomplete", services.deliver_order, user=personas.consultant, order=order
        )
        services.update_checklist(personas.consultant, order, **ALL_TICKED)
        services.deliver_order(user=personas.consultant, order=order, on=DAY)
        order.refresh_from_db()
        assert order.status == "delivered"

    def test_a_disbursed_loan_is_enough_even_if_something_is_owed(self, personas):
        order = loan_order(personas.consultant, loan_status="disbursed", **ALL_TICKED)
        services.deliver_order(user=personas.consultant, order=order, on=DAY)
        assert SalesOrder.objects.get(pk=order.pk).status == "delivered"

    def test_delivery_logs_a_showroom_visit_that_makes_the_customer_an_owner(self, personas):
        order = allocated_order(personas.consultant, **ALL_TICKED)
        PaymentFactory(order=order, kind="balance", amount=Decimal("100000.00"))
        services.deliver_order(user=personas.consultant, order=order, on=DAY)
        activity = Activity.objects.get(customer=order.customer)
        assert (activity.kind, activity.status, activity.owner) == (
            "reception",
            "done",
            personas.consultant,
        )
        assert order.number in activity.notes
        customer = order.customer
        customer.refresh_from_db()
        assert customer.intention_level == "D" and customer.last_contact_at == activity.done_at

    def test_finance_delivering_logs_the_visit_for_the_consultant(self, personas):
        order = allocated_order(personas.consultant, **ALL_TICKED)
        PaymentFactory(order=order, kind="balance", amount=Decimal("100000.00"))
        services.deliver_order(user=personas.finance, order=order, on=DAY)
        assert Activity.objects.get(customer=order.customer).owner == personas.consultant

    def test_delivery_in_the_future_is_refused(self, personas):
        order = allocated_order(personas.consultant, **ALL_TICKED)
        PaymentFactory(order=order, kind="balance", amount=Decimal("100000.00"))
        refused(
            "future_date",
            services.deliver_order,
            user=personas.consultant,
            order=order,
            on=DAY + datetime.timedelta(days=1),
        )

    def test_cancellation_releases_the_vehicle_and_frees_the_plate(self, personas):
        order = allocated_order(personas.consultant)
        services.record_registration(
            personas.consultant, order, plate_number="京A12345", registration_date=DAY
        )
        services.cancel_order(user=personas.sales_manager, order=order, reason="客户放弃")
        assert Vehicle.objects.get(pk=order.vehicle_id).status == "in_stock"
        other = allocated_order(personas.colleague)
        services.record_registration(
            personas.colleague, other, plate_number="京A12345", registration_date=DAY
        )
        refused(
            "order_closed",
            services.update_checklist,
            personas.sales_manager,
            order,
            **ALL_TICKED,
        )


class TestRegistration:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("京A12345", "京A12345"),
            ("京a·123 45", "京A12345"),
            ("京AD12345", "京AD12345"),
            ("京n f1234", "京NF1234"),
            ("粤B12345D", "粤B12345D"),
            ("京ＡＤ１２３４５", "京AD12345"),
        ],
    )
    def test_plates_are_stored_upper_case_without_spaces(self, personas, typed, stored):
        order = allocated_order(personas.consultant)
        services.record_registration(
            personas.consultant, order, plate_number=typed, registration_date=DAY
        )
        order.refresh_from_db()
        assert order.plate_number == stored and order.registration_date == DAY

    @pytest.mark.parametrize(
        "typed",
        ["京A1234", "京I12345", "京AO1234", "X京A12345", "AA12345", "京A123456", "京1A2345"],
    )
    def test_malformed_plates_are_refused_with_an_example(self, personas, typed):
        order = allocated_order(personas.consultant)
        error = refused(
            "invalid_plate",
            services.record_registration,
            personas.consultant,
            order,
            plate_number=typed,
            registration_date=DAY,
        )
        assert "京A12345" in str(error)
        order.refresh_from_db()
        assert order.plate_number == ""

    def test_a_plate_is_on_one_active_order_per_store(self, personas):
        first = allocated_order(personas.consultant)
        services.record_registration(
            personas.consultant, first, plate_number="京N88888", registration_date=DAY
        )
        second = allocated_order(personas.colleague)
        refused(
            "plate_taken",
            services.record_registration,
            personas.colleague,
            second,
            plate_number="京n 88888",
            registration_date=DAY,
        )
        elsewhere = allocated_order(personas.other_consultant)
        services.record_registration(
            personas.other_consultant, elsewhere, plate_number="京N88888", registration_date=DAY
        )
        services.record_registration(  # saving the same plate again on its own order is fine
            personas.consultant, first, plate_number="京N88888", registration_date=DAY
        )

    def test_no_plate_before_a_vehicle_and_no_date_in_the_future(self, personas):
        refused(
            "no_vehicle",
            services.record_registration,
            personas.consultant,
            order_for(personas.consultant),
            plate_number="京A12345",
            registration_date=DAY,
        )
        refused(
            "future_date",
            services.record_registration,
            personas.consultant,
            allocated_order(personas.consultant),
            plate_number="京A12345",
            registration_date=DAY + datetime.timedelta(days=1),
        )


class TestInsuranceAndChecklist:
    def test_insurance_commission_goes_into_the_gross_profit(self, personas):
        order = allocated_order(personas.consultant)
        services.record_insurance(
            personas.consultant,
            order,
            company="中国人保",
            premium=Decimal("5632.18"),
            policy_number="PDAA2026",
            commission=Decimal("844.83"),
        )
        order.refresh_from_db()
        assert order.insurance_premium == Decimal("5632.18")
        assert order.gross_profit == Decimal("10844.83")

    def test_commission_above_the_premium_or_no_company_is_refused(self, personas):
        order = allocated_order(personas.consultant)
        refused(
            "commission_too_high",
            services.record_insurance,
            personas.consultant,
            order,
            company="平安",
            premium=Decimal("100"),
            commission=Decimal("100.01"),
        )
        refused(
            "insurance_company",
            services.record_insurance,
            personas.consultant,
            order,
            company=" ",
            premium=Decimal("100"),
        )
        refused(
            "bad_amount",
            services.record_insurance,
            personas.consultant,
            order,
            company="平安",
            premium=Decimal("0.001"),
        )

    def test_checklist_is_complete_with_a_time_only_when_all_items_are_ticked(self, personas):
        order = allocated_order(personas.consultant)
        services.update_checklist(
            personas.consultant, order, **{**ALL_TICKED, "inspection_done": False}
        )
        order.refresh_from_db()
        assert order.checklist_completed_at is None and order.documents_handed_over
        services.update_checklist(personas.consultant, order, **ALL_TICKED)
        order.refresh_from_db()
        assert order.checklist_completed_at == NOON
        services.update_checklist(
            personas.consultant, order, **{**ALL_TICKED, "customer_signed_off": False}
        )
        order.refresh_from_db()
        assert order.checklist_completed_at is None

    def test_marketing_may_see_but_not_fill_in_sections(self, personas):
        from tests.factories import UserFactory

        marketing = UserFactory(username="mkt", store=personas.store, role="marketing")
        order = allocated_order(personas.consultant)
        with pytest.raises(PermissionDenied):
            services.update_checklist(marketing, order, **ALL_TICKED)


class TestAccessoriesAndTradeIn:
    def test_lines_replace_the_accessories_amount_and_move_total_and_profit(self, personas):
        order = allocated_order(personas.consultant)
        lines = [
            LineInput("隔热膜", Decimal("3200.00"), Decimal("1280.00")),
            LineInput("脚垫", Decimal("0.07"), Decimal("0.01")),
            LineInput("行车记录仪", Decimal("33333.33"), Decimal("11111.11")),
        ]
        services.set_accessory_lines(personas.consultant, order, lines)
        order.refresh_from_db()
        assert order.accessories_amount == Decimal("36533.40")
        assert order.total == Decimal("136533.40")
        assert order.gross_profit == Decimal("10000.00") + Decimal("24142.28")
        assert list(order.accessory_lines.values_list("name", flat=True)) == [
            "隔热膜",
            "脚垫",
            "行车记录仪",
        ]
        services.set_accessory_lines(personas.consultant, order, lines[:1])
        order.refresh_from_db()
        assert order.accessories_amount == Decimal("3200.00") and order.accessory_lines.count() == 1
        assert AccessoryLine.history.filter(history_type="-").count() == 3

    def test_a_bad_line_writes_nothing(self, personas):
        order = allocated_order(personas.consultant)
        services.set_accessory_lines(
            personas.consultant, order, [LineInput("脚垫", Decimal("800"))]
        )
        refused(
            "line_name",
            services.set_accessory_lines,
            personas.consultant,
            order,
            [LineInput("膜", Decimal("1")), LineInput(" ", Decimal("1"))],
        )
        refused(
            "bad_amount",
            services.set_accessory_lines,
            personas.consultant,
            order,
            [LineInput("膜", Decimal("-1"))],
        )
        order.refresh_from_db()
        assert order.accessories_amount == Decimal("800.00")
        assert list(order.accessory_lines.values_list("name", flat=True)) == ["脚垫"]

    def test_total_cannot_drop_below_what_was_paid(self, personas):
        order = allocated_order(personas.consultant)
        services.set_accessory_lines(personas.consultant, order, [LineInput("膜", Decimal("5000"))])
        PaymentFactory(order=order, kind="balance", amount=Decimal("104000.00"))
        refused("total_below_paid", services.set_accessory_lines, personas.consultant, order, [])

    def test_trade_in_reduces_what_is_owed_but_not_the_total(self, personas):
        order = allocated_order(personas.consultant, total="123456.78")
        PaymentFactory(order=order, kind="deposit", amount=Decimal("0.01"))
        services.record_trade_in(
            personas.consultant,
            order,
            vehicle="2016款 卡罗拉（京N12345）",
            value=Decimal("33333.33"),
        )
        order.refresh_from_db()
        assert order.total == Decimal("123456.78")
        assert services.receivable(order) == Decimal("90123.44")
        assert order.amount_due == Decimal("90123.45")

    def test_trade_in_above_what_is_left_to_pay_or_without_a_car_is_refused(self, personas):
        order = allocated_order(personas.consultant)
        PaymentFactory(order=order, kind="deposit", amount=Decimal("5000.00"))
        refused(
            "trade_in_too_high",
            services.record_trade_in,
            personas.consultant,
            order,
            vehicle="旧车",
            value=Decimal("95000.01"),
        )
        refused(
            "trade_in_vehicle",
            services.record_trade_in,
            personas.consultant,
            order,
            vehicle="",
            value=Decimal("1000"),
        )
        services.record_trade_in(personas.consultant, order, vehicle="旧车", value=Decimal("95000"))
        assert services.receivable(SalesOrder.objects.get(pk=order.pk)) == Decimal("0.00")


class TestDraftsAndDeals:
    def test_update_draft_recomputes_total_and_profit_keeping_the_lines(self, personas):
        customer = CustomerFactory(owner=personas.consultant)
        trim = TrimFactory()
        order = services.create_order(
            personas.consultant,
            customer,
            trim,
            order_date=DAY,
            vehicle_price=Decimal("139900"),
            accessories_amount=Decimal("2000.50"),
        )
        line = order.accessory_lines.get()
        assert (line.price, order.total, order.gross_profit) == (
            Decimal("2000.50"),
            Decimal("141900.50"),
            Decimal("2000.50"),
        )
        services.update_draft_order(
            personas.consultant,
            order,
            trim=trim,
            order_date=DAY,
            vehicle_price=Decimal("120000"),
            discount=Decimal("1000"),
            color=ColorFactory(),
            financing="loan",
        )
        order.refresh_from_db()
        assert (order.total, order.financing) == (Decimal("121000.50"), "loan")

    def test_only_drafts_are_edited_by_the_service(self, personas):
        order = order_for(personas.consultant, status="confirmed")
        refused(
            "not_draft",
            services.update_draft_order,
            personas.consultant,
            order,
            trim=order.trim,
            order_date=DAY,
            vehicle_price=Decimal("1"),
        )

    def test_a_draft_with_a_loan_under_way_stays_a_loan_order(self, personas):
        order = order_for(personas.consultant, financing="loan", loan_status="applied")
        refused(
            "loan_in_progress",
            services.update_draft_order,
            personas.consultant,
            order,
            trim=order.trim,
            order_date=DAY,
            vehicle_price=Decimal("100000"),
            financing="cash",
        )

    def test_order_from_a_deal_takes_customer_owner_trim_and_amount(self, personas):
        trim = TrimFactory(guide_price=Decimal("139900.00"))
        customer = CustomerFactory(owner=personas.consultant, intended_trim=trim)
        deal = DealFactory(customer=customer, amount=Decimal("131234.56"))
        order = services.create_order_from_deal(personas.sales_manager, deal)
        assert (order.customer, order.consultant, order.deal, order.trim, order.status) == (
            customer,
            personas.consultant,
            deal,
            trim,
            "draft",
        )
        assert (order.vehicle_price, order.discount, order.total) == (
            Decimal("139900.00"),
            Decimal("8665.44"),
            Decimal("131234.56"),
        )
        refused("deal_has_orders", services.create_order_from_deal, personas.consultant, deal)

    def test_fleet_deal_orders_one_car_at_the_unit_price(self, personas):
        trim = TrimFactory(guide_price=Decimal("100000.00"))
        customer = CustomerFactory(owner=personas.consultant, intended_trim=trim)
        deal = DealFactory(customer=customer, amount=Decimal("270000.00"), units=3)
        totals = {services.create_order_from_deal(personas.consultant, deal).total for _ in "abc"}
        assert totals == {Decimal("90000.00")}
        refused("deal_has_orders", services.create_order_from_deal, personas.consultant, deal)

    def test_deal_without_our_trim_or_lost_or_someone_elses_is_refused(self, personas):
        competitor = TrimFactory(series=SeriesFactory(brand__name="丰田", name="凯美瑞"))
        competitor.series.brand.is_competitor = True
        competitor.series.brand.save()
        deal = DealFactory(customer=CustomerFactory(owner=personas.consultant))
        refused("no_trim", services.create_order_from_deal, personas.consultant, deal)
        deal.customer.intended_trim = competitor
        deal.customer.save()
        refused("no_trim", services.create_order_from_deal, personas.consultant, deal)
        deal.customer.intended_trim = TrimFactory()
        deal.customer.save()
        deal.status = "lost"
        deal.save()
        refused("deal_lost", services.create_order_from_deal, personas.consultant, deal)
        with pytest.raises(PermissionDenied):
            services.create_order_from_deal(personas.colleague, deal)
        assert not SalesOrder.objects.exists()


def test_allocating_a_vehicle_brings_its_cost_into_the_gross_profit(personas):
    trim = TrimFactory()
    order = order_for(personas.consultant, trim=trim, total="139900.00")
    car = VehicleFactory(store=personas.store, trim=trim, cost=Decimal("125000.07"))
    assert services.gross_profit_breakdown(order).vehicle_cost_known is False
    services.allocate_vehicle(user=personas.consultant, order=order, vehicle=car)
    order.refresh_from_db()
    assert order.gross_profit == Decimal("14899.93")
    assert services.gross_profit_breakdown(order).vehicle_margin == Decimal("14899.93")


def test_trade_in_is_taken_off_in_the_list_and_the_aging_report(personas):
    from dealerplan.orders.receivables import aging_report
    from dealerplan.orders.views import with_outstanding

    order = allocated_order(personas.consultant, total="123456.78")
    PaymentFactory(order=order, kind="deposit", amount=Decimal("0.07"))
    services.record_trade_in(personas.consultant, order, vehicle="旧车", value=Decimal("33333.33"))
    expected = Decimal("90123.38")
    assert services.receivable(SalesOrder.objects.get(pk=order.pk)) == expected
    listed = with_outstanding(SalesOrder.objects.filter(pk=order.pk)).get()
    assert listed.outstanding == expected
    report = aging_report(personas.finance, DAY)
    assert [row.outstanding for row in report.rows] == [expected]


def test_every_section_change_leaves_one_history_row(personas):
    order = allocated_order(personas.consultant)
    user = personas.consultant
    steps = [
        lambda: services.record_insurance(user, order, company="人保", premium=Decimal("4000")),
        lambda: services.record_registration(
            user, order, plate_number="京A54321", registration_date=DAY
        ),
        lambda: services.update_checklist(user, order, **ALL_TICKED),
        lambda: services.record_trade_in(user, order, vehicle="旧车", value=Decimal("1000")),
        lambda: services.set_accessory_lines(user, order, [LineInput("膜", Decimal("100"))]),
    ]
    for step in steps:
        before = order.history.count()
        step()
        assert order.history.count() == before + 1
    latest = order.history.first()
    assert (latest.plate_number, latest.trade_in_value, latest.accessories_amount) == (
        "京A54321",
        Decimal("1000.00"),
        Decimal("100.00"),
    )
