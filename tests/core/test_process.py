"""The server process keeps the garbage collector out of the way of big pages."""

import gc
import importlib

import pytest

from dealerplan.core.process import YOUNG_THRESHOLD


@pytest.fixture
def restore_gc():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.parametrize("module", ["dealerplan.wsgi", "dealerplan.asgi"])
def test_loading_the_server_application_freezes_start_up_objects(restore_gc, module):
    gc.unfreeze()
    importlib.reload(importlib.import_module(module))
    assert gc.get_freeze_count() > 10_000  # Django, the apps, the URL patterns
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.isenabled(), "cycles must still be collected"
