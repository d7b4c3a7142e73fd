"""Shared fixtures: named personas in two stores, and a logged-in client helper."""

from dataclasses import dataclass

import pytest
from django.utils import translation

from dealerplan.core.choices import Role
from tests.factories import StoreFactory, TeamFactory, UserFactory

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


@dataclass
class Personas:
    store: object
    other_store: object
    consultant: object
    colleague: object
    showroom_manager: object
    sales_manager: object
    general_manager: object
    finance: object
    other_manager: object
    other_consultant: object
    group_manager: object


@pytest.fixture
def personas(db) -> Personas:
    store = StoreFactory(code="bj-cy", name="北京朝阳店")
    other_store = StoreFactory(code="sh-pd", name="上海浦东店")
    team = TeamFactory(store=store, name="销售一组")
    return Personas(
        store=store,
        other_store=other_store,
        consultant=UserFactory(username="consultant", store=store, team=team),
        colleague=UserFactory(username="colleague", store=store, team=team),
        showroom_manager=UserFactory(username="showroom", store=store, role=Role.SHOWROOM_MANAGER),
        sales_manager=UserFactory(
            username="sales_manager", store=store, role=Role.SALES_MANAGER, is_staff=True
        ),
        general_manager=UserFactory(
            username="gm", store=store, role=Role.GENERAL_MANAGER, is_staff=True
        ),
        finance=UserFactory(username="finance", store=store, role=Role.FINANCE),
        other_manager=UserFactory(
            username="other_manager", store=other_store, role=Role.SALES_MANAGER, is_staff=True
        ),
        other_consultant=UserFactory(username="other_consultant", store=other_store),
        group_manager=UserFactory(
            username="group", store=None, role=Role.GROUP_MANAGER, is_staff=True
        ),
    )


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in (bypassing axes, which needs a request)."""

    def _login(user):
        client.force_login(user, backend=MODEL_BACKEND)
        return client

    return _login


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def consultants_export_customers(personas):
    """Lets consultants export their customer list, which the default export policy refuses.

    For tests about what an export contains (scope, filters, background runs); the policy itself
    is tested in tests/core/test_export_policy.py.
    """
    from dealerplan.core.models import ExportPolicy

    return ExportPolicy.objects.create(
        store=personas.store,
        role="consultant",
        list_name="customers:customer_list",
        allowed=True,
        max_rows_without_approval=1_000_000,
    )
