"""A reusable suite for a model's list, detail, create, edit and export views.

A model's test class supplies data only (NetBox's ``ViewTestCases`` pattern): the URL names,
``make_record(owner)`` and ``valid_form_data(personas)``. The suite checks anonymous,
permitted and out-of-scope users: another consultant's or another store's record is a 404 in
detail and edit, and absent from the list and from the export.
"""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook


def export_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


class ScopedViewSuite:
    model = None
    list_url_name: str
    detail_url_name: str
    add_url_name: str
    edit_url_name: str
    admin_change_url_name: str | None = None
    #: Text that identifies a record in list pages and exports (a column value).
    label_attr = "name"
    #: Consultants see only their own records (customers, activities); False: whole store.
    owner_scoped = True
    #: The persona who creates and edits these records.
    editor = "consultant"

    def make_record(self, owner):
        raise NotImplementedError

    def valid_form_data(self, personas) -> dict:
        raise NotImplementedError

    def label(self, record) -> str:
        return str(getattr(record, self.label_attr))

    # -- anonymous -------------------------------------------------------------------------

    @pytest.mark.parametrize("view", ["list", "detail", "add", "edit", "export"])
    def test_anonymous_user_is_sent_to_login(self, client, personas, view):
        record = self.make_record(personas.consultant)
        url = {
            "list": reverse(self.list_url_name),
            "detail": reverse(self.detail_url_name, args=[record.pk]),
            "add": reverse(self.add_url_name),
            "edit": reverse(self.edit_url_name, args=[record.pk]),
            "export": reverse(self.list_url_name) + "?export=xlsx",
        }[view]
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    # -- permitted -------------------------------------------------------------------------

    def test_owner_sees_own_record_in_list_detail_and_export(self, login, personas):
        record = self.make_record(personas.consultant)
        client = login(personas.consultant)
        assert self.label(record) in client.get(reverse(self.list_url_name)).text
        detail = client.get(reverse(self.detail_url_name, args=[record.pk]))
        assert detail.status_code == 200
        rows = export_rows(client.get(reverse(self.list_url_name) + "?export=xlsx"))
        assert any(self.label(record) in row for row in rows[1:])

    def test_editor_can_open_edit_form(self, login, personas):
        editor = getattr(personas, self.editor)
        record = self.make_record(editor)
        response = login(editor).get(reverse(self.edit_url_name, args=[record.pk]))
        assert response.status_code == 200

    def test_store_manager_sees_every_record_of_the_store(self, login, personas):
        mine = self.make_record(personas.consultant)
        theirs = self.make_record(personas.colleague)
        client = login(personas.sales_manager)
        page = client.get(reverse(self.list_url_name)).text
        assert self.label(mine) in page and self.label(theirs) in page
        for record in (mine, theirs):
            assert client.get(reverse(self.detail_url_name, args=[record.pk])).status_code == 200

    def test_group_manager_sees_every_store(self, login, personas):
        other = self.make_record(personas.other_consultant)
        client = login(personas.group_manager)
        assert client.get(reverse(self.detail_url_name, args=[other.pk])).status_code == 200

    def test_create_with_valid_data_saves_in_the_users_store(self, login, personas):
        model = self.model
        before = model.objects.count()
        response = login(getattr(personas, self.editor)).post(
            reverse(self.add_url_name), self.valid_form_data(personas)
        )
        assert response.status_code == 302, response.context["form"].errors
        assert model.objects.count() == before + 1
        created = model.objects.order_by("-pk").first()
        assert created.store == personas.store

    # -- out of scope ----------------------------------------------------------------------

    def expected_for_colleagues_record(self, view: str) -> int:
        """Owner-scoped: 404. Store-wide: visible, editable only by the editor role."""
        if self.owner_scoped:
            return 404
        if view == "detail" or self.editor == "consultant":
            return 200
        return 403

    @pytest.mark.parametrize("view", ["detail", "edit"])
    def test_colleagues_record_is_404_for_a_consultant(self, login, personas, view):
        record = self.make_record(personas.colleague)
        url_name = self.detail_url_name if view == "detail" else self.edit_url_name
        response = login(personas.consultant).get(reverse(url_name, args=[record.pk]))
        assert response.status_code == self.expected_for_colleagues_record(view)

    def test_colleagues_record_cannot_be_changed_by_post(self, login, personas):
        record = self.make_record(personas.colleague)
        before = record.__class__.objects.filter(pk=record.pk).values().get()
        response = login(personas.consultant).post(
            reverse(self.edit_url_name, args=[record.pk]), self.valid_form_data(personas)
        )
        after = record.__class__.objects.filter(pk=record.pk).values().get()
        if self.owner_scoped or self.editor != "consultant":
            assert response.status_code == self.expected_for_colleagues_record("edit")
            assert after == before
        else:  # store-wide records that consultants maintain together
            assert response.status_code == 302

    def test_only_the_editor_role_may_create(self, login, personas):
        if self.editor == "consultant":
            response = login(personas.finance).post(
                reverse(self.add_url_name), self.valid_form_data(personas)
            )
        else:
            response = login(personas.consultant).post(
                reverse(self.add_url_name), self.valid_form_data(personas)
            )
        assert response.status_code == 403
        assert not self.model.objects.filter(store=personas.store).exists()

    def test_colleagues_record_is_absent_from_list_and_export(self, login, personas):
        mine = self.make_record(personas.consultant)
        theirs = self.make_record(personas.colleague)
        client = login(personas.consultant)
        page = client.get(reverse(self.list_url_name)).text
        assert self.label(mine) in page
        assert (self.label(theirs) in page) is not self.owner_scoped
        rows = export_rows(client.get(reverse(self.list_url_name) + "?export=xlsx"))
        labels = {value for row in rows[1:] for value in row}
        assert self.label(mine) in labels
        assert (self.label(theirs) in labels) is not self.owner_scoped

    @pytest.mark.parametrize("view", ["detail", "edit"])
    def test_other_stores_record_is_404_for_a_manager(self, login, personas, view):
        record = self.make_record(personas.other_consultant)
        url_name = self.detail_url_name if view == "detail" else self.edit_url_name
        response = login(personas.sales_manager).get(reverse(url_name, args=[record.pk]))
        assert response.status_code == 404

    def test_other_stores_record_is_absent_from_managers_list_and_export(self, login, personas):
        own = self.make_record(personas.consultant)
        other = self.make_record(personas.other_consultant)
        client = login(personas.sales_manager)
        page = client.get(reverse(self.list_url_name)).text
        assert self.label(own) in page
        assert self.label(other) not in page
        rows = export_rows(client.get(reverse(self.list_url_name) + "?export=xlsx"))
        labels = {value for row in rows[1:] for value in row}
        assert self.label(own) in labels and self.label(other) not in labels

    def test_other_stores_record_is_404_in_admin(self, login, personas):
        if self.admin_change_url_name is None:
            pytest.fail("set admin_change_url_name")
        record = self.make_record(personas.other_consultant)
        client = login(personas.sales_manager)
        response = client.get(reverse(self.admin_change_url_name, args=[record.pk]))
        assert response.status_code == 404
        own = self.make_record(personas.consultant)
        assert client.get(reverse(self.admin_change_url_name, args=[own.pk])).status_code == 200

    def test_consultant_has_no_admin_access(self, login, personas):
        record = self.make_record(personas.colleague)
        response = login(personas.consultant).get(
            reverse(self.admin_change_url_name, args=[record.pk])
        )
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
