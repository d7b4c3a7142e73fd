"""Schemathesis against the generated OpenAPI schema, in-process through the WSGI app.

Every GET operation and every create (POST on a collection) gets ``MAX_EXAMPLES`` generated
requests as a sales manager (the widest write rights in a store): no answer may be a 5xx, and
every documented answer must match its schema. Detail operations get the id of a real record
half of the time, so they are exercised past the 404.
"""

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from dealerplan.wsgi import application
from tests.api.factories_api import PlanFactory, PlanLineFactory
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    PaymentFactory,
    SalesOrderFactory,
    TrafficEntryFactory,
    VehicleFactory,
)

MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def is_fuzzed(operation) -> bool:
    """GETs, and POSTs that create a record (no ``{id}`` and not an action like ``plan/``)."""
    if not operation.path.startswith("/api/v1/"):
        return False
    if operation.method.upper() == "GET":
        return True
    return (
        operation.method.upper() == "POST"
        and "{id}" not in operation.path
        and operation.path.count("/") == 4  # /api/v1/<collection>/
    )


def fuzz(label, strategy, auth, calls):
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def run(case):
        response = case.call(headers=auth)
        case.validate_response(response, checks=CHECKS, headers=auth)
        calls[label] = calls.get(label, 0) + 1

    run()


@pytest.fixture
def records(personas):
    """One record of every kind in the manager's store, and a few in another store."""
    customer = CustomerFactory(owner=personas.consultant, store=personas.store)
    order = SalesOrderFactory(customer=customer)
    made = {
        "customers": customer,
        "contacts": ContactFactory(customer=customer),
        "activities": ActivityFactory(customer=customer),
        "traffic-entries": TrafficEntryFactory(consultant=personas.consultant, customer=customer),
        "deals": DealFactory(customer=customer),
        "vehicles": VehicleFactory(store=personas.store),
        "orders": order,
        "payments": PaymentFactory(order=order),
        "plans": PlanLineFactory(plan=PlanFactory(consultant=personas.consultant)).plan,
    }
    CustomerFactory(owner=personas.other_consultant)
    VehicleFactory(store=personas.other_store)
    return made


@pytest.fixture
def keep_test_connection():
    """The WSGI calls must not close the test's database connection after each request.

    Django's test client does the same: on PostgreSQL the test transaction makes the connection
    look obsolete to ``close_old_connections``, which would close it mid-test.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_test_connection")
def test_no_server_errors_and_answers_match_the_schema(personas, records, settings):
    settings.API_RATE = "100000/min"
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    auth = {"Authorization": f"Token {Token.objects.create(user=personas.sales_manager).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=auth)

    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not is_fuzzed(operation):
            continue
        strategy = operation.as_strategy()
        if operation.method.upper() == "GET":
            # Also invalid query values: a bad filter must be a 400, never a 500.
            strategy = st.one_of(strategy, operation.as_strategy(GenerationMode.NEGATIVE))
        if "{id}" in operation.path:
            collection = operation.path.split("/")[3]
            real = operation.as_strategy(path_parameters={"id": records[collection].pk})
            strategy = st.one_of(strategy, real)

        fuzz(operation.label, strategy, auth, calls)

    print(f"schemathesis: {len(calls)} operations, {sum(calls.values())} requests")
    assert len(calls) >= 20
    assert sum(calls.values()) >= 10 * len(calls)
