"""Logging a contact moves the customer's dates and level through one service."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dealerplan.activities import services
from dealerplan.activities.models import Activity, FollowUpPolicy
from dealerplan.customers.models import LevelChange
from tests.factories import ActivityFactory, CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 16, 9, 30, tzinfo=SH)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.mark.django_db
class TestLogActivity:
    def test_call_sets_last_contact_and_next_date_from_the_level(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="A")
        activity = services.log_activity(user=personas.consultant, customer=customer, kind="call")
        customer.refresh_from_db()
        assert activity.status == "done" and activity.done_at == frozen
        assert customer.last_contact_at == frozen
        assert customer.next_follow_up_at == datetime.datetime(2026, 11, 23, 10, 0, tzinfo=SH)

    def test_level_change_uses_the_new_level_and_is_recorded(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="B")
        services.log_activity(
            user=personas.consultant, customer=customer, kind="visit", new_level="H"
        )
        customer.refresh_from_db()
        assert customer.intention_level == "H"
        assert customer.next_follow_up_at.date() == datetime.date(2026, 11, 18)
        change = LevelChange.objects.get(customer=customer)
        assert (change.from_level, change.to_level) == ("B", "H")
        assert change.changed_by == personas.consultant

    def test_consultants_own_date_wins_over_the_rule(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="C")
        picked = NOW + datetime.timedelta(days=3)
        services.log_activity(
            user=personas.consultant, customer=customer, kind="call", next_follow_up_at=picked
        )
        customer.refresh_from_db()
        assert customer.next_follow_up_at == picked

    def test_store_rule_is_used(self, personas, frozen):
        FollowUpPolicy.objects.create(store=personas.store, a_days=3)
        customer = CustomerFactory(owner=personas.consultant, intention_level="A")
        services.log_activity(user=personas.consultant, customer=customer, kind="call")
        customer.refresh_from_db()
        assert customer.next_follow_up_at.date() == datetime.date(2026, 11, 19)

    def test_logging_completes_a_planned_visit(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        planned = ActivityFactory(
            customer=customer,
            kind="visit",
            status="planned",
            done_at=None,
            planned_at=NOW + datetime.timedelta(hours=1),
        )
        services.log_activity(
            user=personas.consultant, customer=customer, kind="visit", planned=planned
        )
        planned.refresh_from_db()
        assert planned.status == "done"
        assert Activity.objects.count() == 1

    def test_lost_needs_approval_and_nothing_is_written(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="B")
        with pytest.raises(ValidationError):
            services.log_activity(
                user=personas.consultant, customer=customer, kind="call", new_level="F"
            )
        assert not Activity.objects.exists()
        customer.refresh_from_db()
        assert customer.intention_level == "B" and customer.last_contact_at is None

    def test_consultant_cannot_log_on_a_colleagues_customer(self, personas, frozen):
        customer = CustomerFactory(owner=personas.colleague)
        with pytest.raises(PermissionDenied):
            services.log_activity(user=personas.consultant, customer=customer, kind="call")
        assert not Activity.objects.exists()

    def test_next_date_before_the_contact_is_refused(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        with pytest.raises(ValidationError):
            services.log_activity(
                user=personas.consultant,
                customer=customer,
                kind="call",
                next_follow_up_at=NOW - datetime.timedelta(days=1),
            )
        assert not Activity.objects.exists()

    def test_manager_logs_on_a_store_customer_and_it_is_theirs(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        activity = services.log_activity(
            user=personas.sales_manager, customer=customer, kind="visit"
        )
        assert activity.owner == personas.sales_manager

    def test_editing_the_level_on_the_card_is_recorded_too(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="C")
        login(personas.consultant).post(
            reverse("customers:customer_edit", args=[customer.pk]),
            {
                "kind": "individual",
                "name": customer.name,
                "phone": customer.phone,
                "source": "walk_in",
                "intention_level": "A",
                "account_tier": "other",
            },
        )
        assert LevelChange.objects.filter(customer=customer, from_level="C", to_level="A").exists()


@pytest.mark.django_db
class TestPlanActivity:
    def test_plan_a_visit(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        activity = services.plan_activity(
            user=personas.consultant,
            customer=customer,
            kind="visit",
            planned_at=NOW + datetime.timedelta(days=1),
            location="朝阳区建国路88号",
        )
        assert activity.status == "planned" and activity.owner == personas.consultant

    def test_plan_in_the_past_is_refused(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        with pytest.raises(ValidationError):
            services.plan_activity(
                user=personas.consultant,
                customer=customer,
                kind="visit",
                planned_at=NOW - datetime.timedelta(days=1),
            )
        assert not Activity.objects.exists()
