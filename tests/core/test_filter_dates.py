"""Dates far outside any real record are refused by every list filter, never a server error."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("params", ["date_to=9999-12-31", "date_from=0001-01-01"])
def test_traffic_list_refuses_dates_outside_the_supported_range(client, login, personas, params):
    login(personas.showroom_manager)
    response = client.get(reverse("traffic:traffic_list") + "?" + params)
    assert response.status_code == 200
    assert "1970-01-01" in response.content.decode()
