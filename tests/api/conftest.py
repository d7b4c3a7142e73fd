"""API tests start with an empty throttle history and a locale-neutral client."""

import pytest
from django.core.cache import cache

from tests.api.factories_api import api_client


@pytest.fixture(autouse=True)
def _fresh_throttle_history():
    # Throttle counters live in the cache; user ids repeat between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(personas):
    """``api(user)``: an API client authenticated with the user's token."""
    return api_client
