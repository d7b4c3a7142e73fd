"""Data the API tests need beyond tests/factories.py: plans with lines, tokens, API clients."""

import calendar
import datetime
from decimal import Decimal

import factory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dealerplan.planning.choices import Metric, PeriodType, PlanScope
from dealerplan.planning.models import Plan, PlanLine
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    PaymentFactory,
    SalesOrderFactory,
    StoreFactory,
    TrafficEntryFactory,
    VehicleFactory,
)


class PlanFactory(factory.django.DjangoModelFactory):
    """A consultant's month plan (or a store's, with ``consultant=None, scope="store"``)."""

    class Meta:
        model = Plan

    store = factory.LazyAttribute(lambda o: o.consultant.store if o.consultant else StoreFactory())
    consultant = None
    period_type = PeriodType.MONTH
    period_start = factory.Sequence(lambda n: datetime.date(2026 + n // 12, n % 12 + 1, 1))
    period_end = factory.LazyAttribute(
        lambda o: o.period_start.replace(
            day=calendar.monthrange(o.period_start.year, o.period_start.month)[1]
        )
    )
    scope = factory.LazyAttribute(
        lambda o: PlanScope.CONSULTANT if o.consultant else PlanScope.STORE
    )


class PlanLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanLine

    plan = factory.SubFactory(PlanFactory)
    metric = Metric.UNITS
    quota = Decimal("8")
    goal = Decimal("10")


def api_client(user) -> APIClient:
    """A client that authenticates as ``user`` with an API token, as an integration would."""
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def customer_of(owner):
    return CustomerFactory(owner=owner, store=owner.store)


#: basename -> a record owned by (or, for stock, in the store of) the given user.
MAKERS = {
    "customer": customer_of,
    "contact": lambda owner: ContactFactory(customer=customer_of(owner)),
    "activity": lambda owner: ActivityFactory(customer=customer_of(owner)),
    "traffic-entry": lambda owner: TrafficEntryFactory(consultant=owner),
    "deal": lambda owner: DealFactory(customer=customer_of(owner)),
    "order": lambda owner: SalesOrderFactory(customer=customer_of(owner)),
    "payment": lambda owner: PaymentFactory(order=SalesOrderFactory(customer=customer_of(owner))),
    "vehicle": lambda owner: VehicleFactory(store=owner.store),
    "plan": lambda owner: PlanLineFactory(plan=PlanFactory(consultant=owner)).plan,
}
