"""The admin obeys the same scope as the UI, and a store manager cannot grant rights."""

import pytest
from django.urls import reverse

from dealerplan.customers.models import Customer
from tests.factories import CustomerFactory


@pytest.mark.django_db
class TestScopedAdmin:
    def test_manager_changelist_shows_only_own_store(self, login, personas):
        own = CustomerFactory(owner=personas.consultant, name="本店客户")
        CustomerFactory(owner=personas.other_consultant, name="外店客户")
        page = (
            login(personas.sales_manager).get(reverse("admin:customers_customer_changelist")).text
        )
        assert own.name in page and "外店客户" not in page

    def test_store_and_owner_choices_are_limited_to_own_store(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = login(personas.sales_manager).get(
            reverse("admin:customers_customer_change", args=[customer.pk])
        )
        form = response.context["adminform"].form
        assert list(form.fields["store"].queryset) == [personas.store]
        assert personas.other_consultant not in form.fields["owner"].queryset

    def test_manager_cannot_move_a_customer_to_another_store(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        client = login(personas.sales_manager)
        url = reverse("admin:customers_customer_change", args=[customer.pk])
        data = {
            "store": personas.other_store.pk,
            "kind": "individual",
            "name": customer.name,
            "phone": customer.phone,
            "source": "walk_in",
            "intention_level": "B",
            "account_tier": "other",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        }
        response = client.post(url, data)
        assert response.status_code == 200  # the form refuses the foreign store
        customer.refresh_from_db()
        assert customer.store == personas.store

    def test_store_manager_cannot_make_anyone_superuser(self, login, personas):
        client = login(personas.sales_manager)
        response = client.get(reverse("admin:org_user_change", args=[personas.consultant.pk]))
        form = response.context["adminform"].form
        assert "is_superuser" not in form.fields
        assert "store" not in form.fields
        roles = {value for value, _label in form.fields["role"].choices}
        assert "admin" not in roles and "group_manager" not in roles

    def test_other_stores_user_is_404_in_admin(self, login, personas):
        response = login(personas.sales_manager).get(
            reverse("admin:org_user_change", args=[personas.other_consultant.pk])
        )
        assert response.status_code == 404

    def test_nobody_but_superusers_deletes(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        response = login(personas.sales_manager).get(
            reverse("admin:customers_customer_delete", args=[customer.pk])
        )
        assert response.status_code == 403
        assert Customer.objects.filter(pk=customer.pk).exists()
