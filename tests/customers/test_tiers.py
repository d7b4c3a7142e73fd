"""Account tiers follow the last 12 months of purchases, unless set by hand."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerplan.customers.models import TierPolicy
from dealerplan.customers.services import recompute_tiers
from dealerplan.customers.tiers import Thresholds, tier_for
from tests.factories import CustomerFactory, SalesOrderFactory

TODAY = datetime.date(2026, 11, 20)
RANK = {"other": 0, "tier2": 1, "tier1": 2, "vip": 3}


@pytest.mark.parametrize(
    ("amount", "tier"),
    [
        (None, "other"),
        ("99999.99", "other"),
        ("100000", "tier2"),
        ("299999.99", "tier2"),
        ("300000", "tier1"),
        ("999999.99", "tier1"),
        ("1000000", "vip"),
    ],
)
def test_default_thresholds(amount, tier):
    assert tier_for(Decimal(amount) if amount else None, Thresholds()) == tier


@settings(max_examples=200, derandomize=True)
@given(
    a=st.decimals(min_value=0, max_value=10_000_000, places=2),
    b=st.decimals(min_value=0, max_value=10_000_000, places=2),
)
def test_more_purchases_never_mean_a_lower_tier(a, b):
    low, high = sorted([a, b])
    assert RANK[tier_for(low, Thresholds())] <= RANK[tier_for(high, Thresholds())]


def order(customer, total, days_ago, status="delivered"):
    return SalesOrderFactory(
        customer=customer,
        vehicle_price=Decimal(total),
        discount=Decimal("0"),
        accessories_amount=Decimal("0"),
        total=Decimal(total),
        status=status,
        order_date=TODAY - datetime.timedelta(days=days_ago),
    )


@pytest.mark.django_db
class TestRecomputeTiers:
    def test_purchases_in_the_last_year_set_the_tier(self, personas):
        fleet = CustomerFactory(owner=personas.consultant, kind="organization")
        for _ in range(4):
            order(fleet, "280000.00", days_ago=30)
        single = CustomerFactory(owner=personas.consultant)
        order(single, "150000.00", days_ago=10)
        lapsed = CustomerFactory(owner=personas.consultant, account_tier="vip")
        order(lapsed, "2000000.00", days_ago=400)
        cancelled = CustomerFactory(owner=personas.consultant)
        order(cancelled, "500000.00", days_ago=5, status="cancelled")

        changed = recompute_tiers(personas.store, today=TODAY)

        tiers = {c.pk: c.account_tier for c in (fleet, single, lapsed, cancelled)}
        for c in (fleet, single, lapsed, cancelled):
            c.refresh_from_db()
        assert (fleet.account_tier, single.account_tier) == ("vip", "tier2")
        assert (lapsed.account_tier, cancelled.account_tier) == ("other", "other")
        assert changed == sum(
            1 for c in (fleet, single, lapsed, cancelled) if c.account_tier != tiers[c.pk]
        )

    def test_store_thresholds_apply(self, personas):
        TierPolicy.objects.create(
            store=personas.store,
            vip_min_amount=Decimal("200000"),
            tier1_min_amount=Decimal("150000"),
            tier2_min_amount=Decimal("50000"),
        )
        customer = CustomerFactory(owner=personas.consultant)
        order(customer, "210000.00", days_ago=3)
        recompute_tiers(personas.store, today=TODAY)
        customer.refresh_from_db()
        assert customer.account_tier == "vip"

    def test_a_tier_set_by_hand_is_kept(self, personas):
        customer = CustomerFactory(
            owner=personas.consultant, account_tier="vip", tier_overridden=True
        )
        recompute_tiers(personas.store, today=TODAY)
        customer.refresh_from_db()
        assert customer.account_tier == "vip"

    def test_second_run_changes_nothing(self, personas):
        customer = CustomerFactory(owner=personas.consultant)
        order(customer, "350000.00", days_ago=3)
        assert recompute_tiers(personas.store, today=TODAY) == 1
        assert recompute_tiers(personas.store, today=TODAY) == 0

    def test_other_stores_are_untouched(self, personas):
        other = CustomerFactory(owner=personas.other_consultant)
        order(other, "1500000.00", days_ago=3)
        recompute_tiers(personas.store, today=TODAY)
        other.refresh_from_db()
        assert other.account_tier == "other"

    def test_command_runs_for_every_store(self, personas):
        customer = CustomerFactory(owner=personas.other_consultant)
        SalesOrderFactory(customer=customer, total=Decimal("1200000.00"))
        out = io.StringIO()
        call_command("recompute_tiers", stdout=out)
        customer.refresh_from_db()
        assert customer.account_tier == "vip"
        assert "sh-pd: 1" in out.getvalue()

    def test_delivering_an_order_refreshes_the_tier(
        self, personas, django_capture_on_commit_callbacks
    ):
        customer = CustomerFactory(owner=personas.consultant)
        sale = SalesOrderFactory(customer=customer, total=Decimal("400000.00"), status="confirmed")
        customer.refresh_from_db()
        assert customer.account_tier == "other"
        with django_capture_on_commit_callbacks(execute=True):
            sale.status = "delivered"
            sale.save()
        customer.refresh_from_db()
        assert customer.account_tier == "tier1"
