"""公海: recycling by level and after an approved loss, claims, releases and the pool pages."""

import datetime
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealerplan.activities import lost
from dealerplan.activities.models import Activity
from dealerplan.customers import pool
from dealerplan.customers.models import AssignmentKind, Customer, CustomerAssignment, PoolRule
from tests.factories import ActivityFactory, CustomerFactory

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def lead(owner, level="B", **kwargs):
    with time_machine.travel(START, tick=False):
        return CustomerFactory(owner=owner, store=owner.store, intention_level=level, **kwargs)


def in_pool(personas, **kwargs):
    return CustomerFactory(
        owner=None, store=kwargs.pop("store", personas.store), pool_since=timezone.now(), **kwargs
    )


@pytest.mark.django_db
class TestRecycling:
    @pytest.mark.parametrize(("level", "days"), [("H", 7), ("A", 15), ("B", 30), ("C", 60)])
    def test_a_lead_returns_to_the_pool_on_day_n_not_day_n_minus_one(self, personas, level, days):
        customer = lead(personas.consultant, level)
        assert pool.recycle_stale(personas.store, START + datetime.timedelta(days=days - 1)) == 0
        customer.refresh_from_db()
        assert customer.owner == personas.consultant
        assert pool.recycle_stale(personas.store, START + datetime.timedelta(days=days)) == 1
        customer.refresh_from_db()
        assert customer.owner is None and customer.in_pool
        move = CustomerAssignment.objects.get(customer=customer)
        assert move.kind == AssignmentKind.RECYCLED and move.from_user == personas.consultant
        assert move.by is None and str(days) in move.reason

    def test_the_clock_starts_at_the_last_contact(self, personas):
        customer = lead(personas.consultant, "H")
        Customer.objects.filter(pk=customer.pk).update(
            last_contact_at=START + datetime.timedelta(days=5)
        )
        assert pool.recycle_stale(personas.store, START + datetime.timedelta(days=8)) == 0
        assert pool.recycle_stale(personas.store, START + datetime.timedelta(days=12)) == 1

    def test_ordered_delivered_and_never_levels_stay_with_their_owner(self, personas):
        PoolRule.objects.create(store=personas.store, c_days=None)
        keep = [lead(personas.consultant, level) for level in ("O", "D", "C")]
        assert pool.recycle_stale(personas.store, START + datetime.timedelta(days=400)) == 0
        assert all(Customer.objects.get(pk=c.pk).owner == personas.consultant for c in keep)

    def test_running_twice_changes_nothing(self, personas):
        lead(personas.consultant, "H")
        lead(personas.colleague, "A")
        later = START + datetime.timedelta(days=40)
        assert pool.recycle_stale(personas.store, later) == 2
        before = list(Customer.objects.values_list("pk", "owner_id", "pool_since"))
        assert pool.recycle_stale(personas.store, later) == 0
        assert list(Customer.objects.values_list("pk", "owner_id", "pool_since")) == before
        assert CustomerAssignment.objects.count() == 2

    def test_approved_lost_lead_goes_to_the_pool_and_a_pending_one_does_not(self, personas):
        customer = lead(personas.consultant, "B")
        waiting = lead(personas.consultant, "A")
        with time_machine.travel(START + datetime.timedelta(days=1), tick=False):
            request = lost.request_lost(user=personas.consultant, customer=customer, reason="price")
            lost.request_lost(user=personas.consultant, customer=waiting, reason="price")
            lost.approve_lost(manager=personas.sales_manager, request_id=request.pk)
            assert pool.recycle_stale(personas.store) == 1
        customer.refresh_from_db()
        waiting.refresh_from_db()
        assert customer.in_pool and customer.intention_level == "F"
        assert waiting.owner == personas.consultant
        assert customer.assignments.get().kind == AssignmentKind.RECYCLED

    def test_a_lost_lead_claimed_again_is_not_recycled_at_once(self, personas):
        customer = lead(personas.consultant, "B")
        with time_machine.travel(START + datetime.timedelta(days=1), tick=False):
            request = lost.request_lost(user=personas.consultant, customer=customer, reason="price")
            lost.approve_lost(manager=personas.sales_manager, request_id=request.pk)
            pool.recycle_stale(personas.store)
        with time_machine.travel(START + datetime.timedelta(days=2), tick=False):
            pool.claim(personas.colleague, customer)
            assert pool.recycle_stale(personas.store) == 0
        assert Customer.objects.get(pk=customer.pk).owner == personas.colleague

    def test_recycling_cancels_the_old_owners_planned_activities(self, personas):
        customer = lead(personas.consultant, "H")
        with time_machine.travel(START, tick=False):
            planned = ActivityFactory(customer=customer, status="planned", done_at=None)
        pool.recycle_stale(personas.store, START + datetime.timedelta(days=7))
        assert Activity.objects.get(pk=planned.pk).status == "cancelled"

    def test_other_stores_are_left_alone(self, personas):
        theirs = lead(personas.other_consultant, "H")
        assert pool.recycle_stale(personas.store, START + datetime.timedelta(days=30)) == 0
        assert Customer.objects.get(pk=theirs.pk).owner == personas.other_consultant

    def test_the_command_recycles_every_store(self, personas):
        lead(personas.consultant, "H")
        lead(personas.other_consultant, "H")
        with time_machine.travel(START + datetime.timedelta(days=8), tick=False):
            call_command("recycle_pool", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert Customer.objects.filter(owner__isnull=True, pool_since__isnull=False).count() == 2


@pytest.mark.django_db
class TestClaimAndRelease:
    def test_claim_makes_the_consultant_the_owner(self, personas):
        customer = in_pool(personas)
        pool.claim(personas.consultant, customer)
        customer.refresh_from_db()
        assert customer.owner == personas.consultant and customer.pool_since is None
        assert customer.assignments.get().kind == AssignmentKind.CLAIMED

    def test_claim_limit_counts_open_leads(self, personas):
        PoolRule.objects.create(store=personas.store, claim_limit=2)
        CustomerFactory(owner=personas.consultant, intention_level="H")
        CustomerFactory(owner=personas.consultant, intention_level="D")  # not an open lead
        first, second = in_pool(personas), in_pool(personas)
        pool.claim(personas.consultant, first)
        with pytest.raises(ValidationError) as error:
            pool.claim(personas.consultant, second)
        assert error.value.code == "claim_limit"
        assert Customer.objects.get(pk=second.pk).owner is None

    def test_previous_owner_waits_for_the_cooling_off(self, personas):
        customer = lead(personas.consultant, "B")
        with time_machine.travel(START, tick=False):
            pool.release(personas.consultant, customer, "客户暂不考虑")
        with time_machine.travel(START + datetime.timedelta(days=29), tick=False):
            with pytest.raises(ValidationError) as error:
                pool.claim(personas.consultant, customer)
            assert error.value.code == "cooling_off"
        with time_machine.travel(START + datetime.timedelta(days=30, seconds=1), tick=False):
            pool.claim(personas.consultant, customer)
        assert Customer.objects.get(pk=customer.pk).owner == personas.consultant

    def test_a_colleague_may_claim_during_the_cooling_off(self, personas):
        customer = lead(personas.consultant, "B")
        pool.release(personas.consultant, customer, "客户暂不考虑")
        pool.claim(personas.colleague, customer)
        assert Customer.objects.get(pk=customer.pk).owner == personas.colleague

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_release_needs_a_reason(self, personas, reason):
        customer = lead(personas.consultant, "B")
        with pytest.raises(ValidationError):
            pool.release(personas.consultant, customer, reason)
        assert Customer.objects.get(pk=customer.pk).owner == personas.consultant
        assert not CustomerAssignment.objects.exists()

    def test_a_consultant_cannot_release_a_colleagues_lead(self, personas):
        customer = lead(personas.colleague, "B")
        with pytest.raises(PermissionDenied):
            pool.release(personas.consultant, customer, "不要了")

    def test_a_claimed_lead_cannot_be_claimed_again(self, personas):
        customer = in_pool(personas)
        pool.claim(personas.consultant, customer)
        with pytest.raises(ValidationError) as error:
            pool.claim(personas.colleague, customer)
        assert error.value.code == "not_in_pool"

    def test_another_stores_consultant_cannot_claim(self, personas):
        customer = in_pool(personas)
        with pytest.raises(ValidationError):
            pool.claim(personas.other_consultant, customer)

    def test_manager_assigns_pool_leads_to_a_consultant(self, personas):
        customers = [in_pool(personas), in_pool(personas)]
        result = pool.assign(personas.sales_manager, customers, personas.colleague, "新人带教")
        assert result.assigned == 2
        assert set(Customer.objects.values_list("owner", flat=True)) == {personas.colleague.pk}
        assert CustomerAssignment.objects.filter(kind=AssignmentKind.ASSIGNED).count() == 2

    def test_consultant_cannot_assign(self, personas):
        with pytest.raises(PermissionDenied):
            pool.assign(personas.consultant, [in_pool(personas)], personas.colleague)

    def test_manager_cannot_assign_to_another_stores_consultant(self, personas):
        customer = in_pool(personas)
        with pytest.raises(ValidationError):
            pool.assign(personas.sales_manager, [customer], personas.other_consultant)
        assert Customer.objects.get(pk=customer.pk).owner is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_ten_consultants_claiming_one_lead_at_once_give_one_owner(personas):
    from tests.factories import UserFactory

    customer = in_pool(personas)
    people = [UserFactory(store=personas.store) for _ in range(10)]
    results, barrier = [], threading.Barrier(len(people))

    def attempt(user):
        try:
            barrier.wait()
            pool.claim(user, customer)
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1 and results.count("not_in_pool") == 9
    assert CustomerAssignment.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
class TestPoolPages:
    def test_consultant_sees_the_stores_pool_but_not_in_the_customer_list(self, personas, login):
        mine = in_pool(personas, name="公海客户甲")
        in_pool(personas, store=personas.other_store, name="别店客户")
        client = login(personas.consultant)
        page = client.get(reverse("customers:pool")).content.decode()
        assert "公海客户甲" in page and "别店客户" not in page
        assert "公海客户甲" not in client.get(reverse("customers:customer_list")).content.decode()
        assert client.get(reverse("customers:customer_detail", args=[mine.pk])).status_code == 404
        detail = client.get(reverse("customers:pool_detail", args=[mine.pk]))
        assert detail.status_code == 200 and mine.phone not in detail.content.decode()

    def test_another_stores_pool_customer_is_404_on_detail_and_claim(self, personas, login):
        theirs = in_pool(personas, store=personas.other_store)
        client = login(personas.consultant)
        assert client.get(reverse("customers:pool_detail", args=[theirs.pk])).status_code == 404
        assert client.post(reverse("customers:pool_claim", args=[theirs.pk])).status_code == 404
        assert Customer.objects.get(pk=theirs.pk).owner is None

    def test_claim_button_makes_it_mine(self, personas, login):
        customer = in_pool(personas)
        client = login(personas.consultant)
        response = client.post(reverse("customers:pool_claim", args=[customer.pk]))
        assert response.status_code == 302
        assert response.url == reverse("customers:customer_detail", args=[customer.pk])
        assert "公海" in client.get(response.url).content.decode()  # the history card

    def test_consultant_cannot_assign_through_the_page(self, personas, login):
        customer = in_pool(personas)
        response = login(personas.consultant).post(
            reverse("customers:pool_assign"),
            {"customers": [customer.pk], "to_user": personas.consultant.pk},
        )
        assert response.status_code == 403
        assert Customer.objects.get(pk=customer.pk).owner is None

    def test_manager_cannot_assign_another_stores_pool_customer(self, personas, login):
        theirs = in_pool(personas, store=personas.other_store)
        response = login(personas.sales_manager).post(
            reverse("customers:pool_assign"),
            {"customers": [theirs.pk], "to_user": personas.consultant.pk},
        )
        assert response.status_code == 404
        assert Customer.objects.get(pk=theirs.pk).owner is None

    def test_manager_assigns_from_the_page(self, personas, login):
        customer = in_pool(personas)
        response = login(personas.sales_manager).post(
            reverse("customers:pool_assign"),
            {"customers": [customer.pk], "to_user": personas.colleague.pk, "reason": "分配"},
        )
        assert response.status_code == 302
        assert Customer.objects.get(pk=customer.pk).owner == personas.colleague

    def test_release_page_needs_a_reason(self, personas, login):
        customer = lead(personas.consultant, "B")
        client = login(personas.consultant)
        url = reverse("customers:pool_release", args=[customer.pk])
        assert client.post(url, {"reason": ""}).status_code == 200
        assert Customer.objects.get(pk=customer.pk).owner == personas.consultant
        assert client.post(url, {"reason": "预算不够"}).status_code == 302
        assert Customer.objects.get(pk=customer.pk).in_pool

    def test_release_of_a_colleagues_lead_is_404(self, personas, login):
        customer = lead(personas.colleague, "B")
        url = reverse("customers:pool_release", args=[customer.pk])
        assert login(personas.consultant).post(url, {"reason": "x"}).status_code == 404

    def test_filters_by_days_in_the_pool(self, personas, login):
        with time_machine.travel(START, tick=False):
            in_pool(personas, name="老客户")
        with time_machine.travel(START + datetime.timedelta(days=40), tick=False):
            in_pool(personas, name="新客户")
            page = (
                login(personas.consultant)
                .get(reverse("customers:pool"), {"days_in_pool": "30"})
                .content.decode()
            )
        assert "老客户" in page and "新客户" not in page

    def test_pool_list_query_count_does_not_grow_with_rows(self, personas, login):
        client = login(personas.sales_manager)
        url = reverse("customers:pool")
        for _ in range(2):
            in_pool(personas)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _ in range(8):
            in_pool(personas)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many) == len(few)

    def test_rules_page_saves_and_consultant_gets_403(self, personas, login):
        url = reverse("customers:pool_rules")
        assert login(personas.consultant).get(url).status_code == 403
        client = login(personas.sales_manager)
        assert client.get(url).status_code == 200
        data = {
            "h_days": "5",
            "a_days": "",
            "b_days": "30",
            "c_days": "60",
            "recycle_lost": "on",
            "claim_limit": "80",
            "cooling_off_days": "10",
        }
        assert client.post(url, data).status_code == 302
        rule = PoolRule.objects.get(store=personas.store)
        assert (rule.h_days, rule.a_days, rule.claim_limit) == (5, None, 80)
        assert client.post(url, {**data, "claim_limit": "0"}).status_code == 200
        assert PoolRule.objects.get(store=personas.store).claim_limit == 80
