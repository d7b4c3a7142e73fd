"""离职交接 and transfers: a consultant's book moves whole, evenly or by hand, then the account
can be switched off."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.urls import reverse

from dealerplan.activities.models import Activity
from dealerplan.customers import handover
from dealerplan.customers.models import AssignmentKind, Customer, CustomerAssignment
from dealerplan.deals.models import Deal
from dealerplan.orders.models import SalesOrder
from dealerplan.org.models import User
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    DealFactory,
    SalesOrderFactory,
    UserFactory,
)


def book(consultant, customers=5):
    """Customers with open and closed deals, planned and done calls, open and closed orders."""
    rows = [CustomerFactory(owner=consultant, intention_level="A") for _ in range(customers)]
    for index, customer in enumerate(rows):
        DealFactory(customer=customer)
        ActivityFactory(customer=customer, status="planned", done_at=None)
        ActivityFactory(customer=customer)  # done: history stays with who did it
        SalesOrderFactory(customer=customer, vehicle_price=Decimal("100000.00") + index)
    DealFactory(customer=rows[0], status="won")
    SalesOrderFactory(customer=rows[0], status="delivered")
    SalesOrderFactory(customer=rows[-1], status="cancelled")
    return rows


def open_totals(users):
    orders = SalesOrder.objects.filter(consultant__in=users).exclude(
        status__in=handover.CLOSED_ORDER_STATUSES
    )
    return {
        "customers": Customer.objects.filter(owner__in=users).count(),
        "deals": Deal.objects.filter(owner__in=users, status="open").count(),
        "activities": Activity.objects.filter(owner__in=users, status="planned").count(),
        "orders": orders.count(),
        "order_total": orders.aggregate(s=Sum("total"))["s"] or Decimal("0"),
    }


@pytest.fixture
def third(personas):
    return UserFactory(username="third", store=personas.store)


@pytest.mark.django_db
class TestHandover:
    def test_departure_leaves_nothing_with_the_leaver_and_totals_match(self, personas, third):
        leaver, receivers = personas.consultant, [personas.colleague, third]
        book(leaver)
        CustomerFactory(owner=personas.colleague)  # the receiver's own customer
        everyone = [leaver, *receivers]
        before = open_totals(everyone)
        preview = handover.build_plan(personas.sales_manager, leaver, receivers)
        plan = handover.execute(personas.sales_manager, leaver, receivers, reason="离职")
        assert handover.open_records(leaver).total == 0
        assert open_totals(everyone) == before
        assert [
            (line.user, line.customers, line.orders, line.order_total) for line in plan.lines
        ] == [(line.user, line.customers, line.orders, line.order_total) for line in preview.lines]
        for line in plan.lines:
            orders = SalesOrder.objects.filter(
                consultant=line.user, customer__owner=line.user
            ).exclude(status__in=handover.CLOSED_ORDER_STATUSES)
            assert orders.count() == line.orders
            assert (orders.aggregate(s=Sum("total"))["s"] or 0) == line.order_total
        assert plan.totals().customers == 5 and plan.totals().orders == 5
        assert CustomerAssignment.objects.filter(kind=AssignmentKind.HANDOVER).count() == 5
        # Closed work is history and stays with who did it.
        assert Deal.objects.filter(owner=leaver, status="won").count() == 1
        assert SalesOrder.objects.filter(consultant=leaver).count() == 2
        handover.deactivate(personas.sales_manager, leaver)
        assert not User.objects.get(pk=leaver.pk).is_active

    def test_records_follow_their_customer(self, personas, third):
        book(personas.consultant, customers=4)
        handover.execute(personas.sales_manager, personas.consultant, [personas.colleague, third])
        for deal in Deal.objects.filter(status="open"):
            assert deal.owner_id == deal.customer.owner_id
        for order in SalesOrder.objects.exclude(status__in=handover.CLOSED_ORDER_STATUSES):
            assert order.consultant_id == order.customer.owner_id

    def test_even_split_is_round_robin_and_deterministic(self, personas, third):
        rows = book(personas.consultant, customers=5)
        receivers = [third, personas.colleague]  # given in any order
        plan = handover.build_plan(personas.sales_manager, personas.consultant, receivers)
        again = handover.build_plan(personas.sales_manager, personas.consultant, receivers[::-1])
        assert plan.customer_to == again.customer_to
        first, second = sorted(r.pk for r in receivers)
        assert [plan.customer_to[c.pk] for c in rows] == [first, second, first, second, first]

    def test_by_hand_and_subset_is_a_transfer(self, personas, third):
        rows = book(personas.consultant, customers=3)
        handover.execute(
            personas.sales_manager,
            personas.consultant,
            [personas.colleague, third],
            customer_ids=[rows[0].pk, rows[1].pk],
            manual={rows[0].pk: third.pk, rows[1].pk: third.pk},
        )
        assert Customer.objects.get(pk=rows[0].pk).owner == third
        assert Customer.objects.get(pk=rows[1].pk).owner == third
        assert Customer.objects.get(pk=rows[2].pk).owner == personas.consultant
        assert Deal.objects.get(customer=rows[2], status="open").owner == personas.consultant
        kinds = set(CustomerAssignment.objects.values_list("kind", flat=True))
        assert kinds == {AssignmentKind.TRANSFERRED}

    def test_deactivation_is_refused_while_records_are_open(self, personas):
        book(personas.consultant, customers=1)
        with pytest.raises(ValidationError) as error:
            handover.deactivate(personas.sales_manager, personas.consultant)
        assert error.value.code == "still_owns"
        assert User.objects.get(pk=personas.consultant.pk).is_active

    def test_receivers_must_be_active_colleagues_of_the_same_store(self, personas):
        book(personas.consultant, customers=1)
        personas.colleague.is_active = False
        personas.colleague.save()
        for receivers in (
            [personas.colleague],
            [personas.other_consultant],
            [],
            [personas.consultant],
        ):
            with pytest.raises(ValidationError):
                handover.execute(personas.sales_manager, personas.consultant, receivers)
        assert Customer.objects.filter(owner=personas.consultant).count() == 1

    def test_consultant_and_other_stores_manager_cannot_hand_over(self, personas):
        book(personas.consultant, customers=1)
        for manager in (personas.colleague, personas.other_manager):
            with pytest.raises(PermissionDenied):
                handover.execute(manager, personas.consultant, [personas.colleague])

    def test_a_bad_choice_writes_nothing(self, personas, third):
        rows = book(personas.consultant, customers=2)
        with pytest.raises(ValidationError):
            handover.execute(
                personas.sales_manager,
                personas.consultant,
                [personas.colleague],
                customer_ids=[rows[0].pk],
                manual={rows[0].pk: third.pk},
            )
        assert not CustomerAssignment.objects.exists()
        assert Customer.objects.filter(owner=personas.consultant).count() == 2


@pytest.mark.django_db
class TestHandoverPages:
    def test_staff_page_is_for_managers(self, personas, login):
        book(personas.consultant, customers=2)
        assert (
            login(personas.consultant).get(reverse("customers:handover_staff")).status_code == 403
        )
        page = login(personas.sales_manager).get(reverse("customers:handover_staff"))
        assert page.status_code == 200
        assert personas.consultant.display_name in page.content.decode()
        assert personas.other_consultant.display_name not in page.content.decode()

    def test_another_stores_person_is_404(self, personas, login):
        client = login(personas.sales_manager)
        person = personas.other_consultant
        assert client.get(reverse("customers:handover", args=[person.pk])).status_code == 404
        deactivate = reverse("customers:handover_deactivate", args=[person.pk])
        assert client.post(deactivate).status_code == 404
        assert User.objects.get(pk=person.pk).is_active

    def test_preview_then_confirm_then_deactivate(self, personas, login, third):
        book(personas.consultant, customers=3)
        client = login(personas.sales_manager)
        url = reverse("customers:handover", args=[personas.consultant.pk])
        assert client.get(url).status_code == 200
        data = {"receivers": [personas.colleague.pk, third.pk], "scope": "all", "reason": "离职"}
        preview = client.post(url, {**data, "action": "preview"})
        assert preview.status_code == 200 and preview.context["plan"].totals().customers == 3
        assert Customer.objects.filter(owner=personas.consultant).count() == 3
        done = client.post(url, {**data, "action": "confirm"})
        assert done.status_code == 302
        assert client.get(done.url).status_code == 200
        assert handover.open_records(personas.consultant).total == 0
        deactivate = reverse("customers:handover_deactivate", args=[personas.consultant.pk])
        assert client.post(deactivate).status_code == 302
        assert not User.objects.get(pk=personas.consultant.pk).is_active

    def test_deactivate_with_open_records_says_why(self, personas, login):
        book(personas.consultant, customers=1)
        client = login(personas.sales_manager)
        deactivate = reverse("customers:handover_deactivate", args=[personas.consultant.pk])
        response = client.post(deactivate, follow=True)
        assert User.objects.get(pk=personas.consultant.pk).is_active
        assert any("1" in str(m) for m in response.context["messages"])

    def test_ticked_customers_only(self, personas, login):
        rows = book(personas.consultant, customers=3)
        client = login(personas.sales_manager)
        url = reverse("customers:handover", args=[personas.consultant.pk])
        client.post(
            url,
            {
                "receivers": [personas.colleague.pk],
                "scope": "selected",
                "customers": [rows[1].pk],
                "action": "confirm",
            },
        )
        assert list(Customer.objects.filter(owner=personas.colleague)) == [rows[1]]


def test_the_admin_refuses_to_deactivate_someone_who_still_holds_customers(personas):
    from django.forms.models import model_to_dict

    from dealerplan.org.admin import DeactivationGuardForm
    from tests.factories import CustomerFactory

    CustomerFactory(owner=personas.colleague)
    data = {k: v for k, v in model_to_dict(personas.colleague).items() if v is not None}
    data.pop("password", None)
    data["is_active"] = False
    form = DeactivationGuardForm(data=data, instance=personas.colleague)
    assert not form.is_valid()
    assert form.has_error("is_active", code="open_records")
    personas.colleague.refresh_from_db()
    assert personas.colleague.is_active
