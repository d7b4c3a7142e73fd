"""战败: requested by the consultant, approved or returned by a manager, analysed by month."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dealerplan.activities import lost
from dealerplan.activities.models import LostRequest, Notification
from dealerplan.catalog.models import Brand, Series
from dealerplan.customers.models import LevelChange
from tests.factories import CustomerFactory, TrimFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 18, 15, 0, tzinfo=SH)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def camry(db):
    return Series.objects.create(
        brand=Brand.objects.create(name="丰田", is_competitor=True), name="凯美瑞"
    )


@pytest.mark.django_db
class TestLostFlow:
    def test_request_then_approve_moves_the_lead_to_f(self, personas, frozen, camry):
        customer = CustomerFactory(
            owner=personas.consultant, intention_level="B", next_follow_up_at=NOW
        )
        request = lost.request_lost(
            user=personas.consultant, customer=customer, reason="competitor", competitor=camry
        )
        assert Notification.objects.filter(user=personas.sales_manager).exists()
        lost.approve_lost(manager=personas.sales_manager, request_id=request.pk)
        customer.refresh_from_db()
        assert customer.intention_level == "F" and customer.next_follow_up_at is None
        assert LevelChange.objects.filter(customer=customer, from_level="B", to_level="F").exists()
        assert Notification.objects.filter(user=personas.consultant).exists()

    def test_return_needs_a_note_and_keeps_the_level(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="A")
        request = lost.request_lost(user=personas.consultant, customer=customer, reason="price")
        with pytest.raises(ValidationError):
            lost.return_lost(manager=personas.sales_manager, request_id=request.pk, note=" ")
        lost.return_lost(
            manager=personas.sales_manager, request_id=request.pk, note="再争取一下，给个置换补贴"
        )
        customer.refresh_from_db()
        request.refresh_from_db()
        assert customer.intention_level == "A" and request.status == "returned"

    def test_competitor_reason_needs_the_model(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        with pytest.raises(ValidationError):
            lost.request_lost(user=personas.consultant, customer=customer, reason="competitor")
        assert not LostRequest.objects.exists()

    def test_one_pending_request_per_customer(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        lost.request_lost(user=personas.consultant, customer=customer, reason="budget")
        with pytest.raises(ValidationError):
            lost.request_lost(user=personas.consultant, customer=customer, reason="price")
        assert LostRequest.objects.count() == 1

    def test_consultant_cannot_approve(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        request = lost.request_lost(user=personas.consultant, customer=customer, reason="budget")
        with pytest.raises(PermissionDenied):
            lost.approve_lost(manager=personas.consultant, request_id=request.pk)

    def test_other_stores_manager_cannot_decide(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        request = lost.request_lost(user=personas.consultant, customer=customer, reason="budget")
        response = login(personas.other_manager).post(
            reverse("activities:lost_decide", args=[request.pk]), {"action": "approve"}
        )
        assert response.status_code == 404
        request.refresh_from_db()
        assert request.status == "pending"

    def test_only_open_leads_can_be_lost(self, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, intention_level="D")
        with pytest.raises(ValidationError):
            lost.request_lost(user=personas.consultant, customer=customer, reason="budget")


@pytest.mark.django_db
class TestLostPages:
    def test_request_form_and_manager_decides_on_the_list(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant, name="周先生")
        response = login(personas.consultant).post(
            reverse("activities:request_lost", args=[customer.pk]),
            {"reason": "budget", "notes": "预算只有十万"},
        )
        assert response.status_code == 302
        client = login(personas.sales_manager)
        page = client.get(reverse("activities:lost_list")).text
        assert "周先生" in page and "预算只有十万" in page
        request = LostRequest.objects.get()
        client.post(reverse("activities:lost_decide", args=[request.pk]), {"action": "approve"})
        customer.refresh_from_db()
        assert customer.intention_level == "F"

    def test_missing_competitor_is_a_field_error_in_chinese(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.consultant)
        response = login(personas.consultant).post(
            reverse("activities:request_lost", args=[customer.pk]), {"reason": "competitor"}
        )
        assert response.status_code == 200 and "竞品" in response.text
        assert not LostRequest.objects.exists()

    def test_colleagues_customer_is_404(self, login, personas, frozen):
        customer = CustomerFactory(owner=personas.colleague)
        url = reverse("activities:request_lost", args=[customer.pk])
        assert login(personas.consultant).get(url).status_code == 404

    def test_consultant_sees_only_own_requests(self, login, personas, frozen):
        mine = CustomerFactory(owner=personas.consultant, name="我的客户")
        theirs = CustomerFactory(owner=personas.colleague, name="同事客户")
        lost.request_lost(user=personas.consultant, customer=mine, reason="budget")
        lost.request_lost(user=personas.colleague, customer=theirs, reason="budget")
        page = login(personas.consultant).get(reverse("activities:lost_list")).text
        assert "我的客户" in page and "同事客户" not in page

    def test_monthly_analysis_counts_approved_losses(self, login, personas, frozen, camry):
        trim = TrimFactory()
        for reason, competitor in (("competitor", camry), ("competitor", camry), ("price", None)):
            customer = CustomerFactory(owner=personas.consultant, intended_trim=trim)
            request = lost.request_lost(
                user=personas.consultant, customer=customer, reason=reason, competitor=competitor
            )
            lost.approve_lost(manager=personas.sales_manager, request_id=request.pk)
        pending = CustomerFactory(owner=personas.consultant)
        lost.request_lost(user=personas.consultant, customer=pending, reason="budget")
        analysis = lost.lost_analysis(personas.sales_manager, NOW.date())
        assert analysis.total == 3
        assert analysis.by_competitor[0] == ("丰田 凯美瑞", 2)
        assert analysis.by_model == [(trim.series.name, 3)]
        page = login(personas.sales_manager).get(reverse("activities:lost_analysis")).text
        assert "凯美瑞" in page
