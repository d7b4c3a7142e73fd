"""The faster list rendering draws exactly what django-tables2's own template draws, and the
cached choice labels say what Django's ``get_FOO_display()`` says."""

import re

import pytest
from django.apps import apps
from django.db import models
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from dealerplan.core import tables2_speed
from dealerplan.customers.tables import CustomerTable
from dealerplan.deals.tables import DealTable
from tests.factories import CustomerFactory, DealFactory


def rendered(table, template_name):
    html = Template("{% load django_tables2 %}{% render_table table '" + template_name + "' %}")
    request = RequestFactory().get("/")
    return html.render(Context({"table": table, "request": request}))


def cells(html: str) -> list[str]:
    """The body's rows and cells with whitespace between tags removed."""
    body = html[html.index("<tbody") : html.index("</tbody>")]
    return re.sub(r">\s+<", "><", body).strip().split("</tr>")


@pytest.mark.parametrize("table_class", [CustomerTable, DealTable])
def test_the_row_tag_draws_what_the_stock_template_draws(personas, table_class):
    for level in "HAB":
        DealFactory(customer=CustomerFactory(owner=personas.consultant, intention_level=level))
    queryset = table_class._meta.model.objects.all()
    ours = rendered(table_class(queryset), "django_tables2/dealerplan.html")
    stock = rendered(table_class(queryset), "django_tables2/bootstrap5-responsive.html")
    assert cells(ours) == cells(stock)
    assert len(cells(ours)) == 4  # three rows and what follows the last


def test_an_empty_table_says_so(db):
    html = rendered(
        CustomerTable(CustomerTable._meta.model.objects.none()), "django_tables2/dealerplan.html"
    )
    assert "没有符合筛选条件的客户" in html or "No customers match" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_cached_choice_labels_match_djangos_own(language):
    checked = 0
    for app in ("customers", "deals", "orders", "inventory", "activities"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if not field.choices:
                    continue
                for value in [key for key, _label in field.flatchoices] + ["not-a-choice", None]:
                    record = model(**{field.attname: value})
                    with translation.override(language):
                        ours = record._get_FIELD_display(field)
                        django = models.Model._get_FIELD_display(record, field)
                    assert ours == django, (model, field.name, value)
                    checked += 1
    assert checked > 50


def test_signatures_are_remembered_per_function_and_binding():
    class Column:
        def render(self, value, record):
            return value

    def free(value, table=None, **kwargs):
        return value

    first = tables2_speed.signature(Column().render)
    assert first == (("value", "record"), None)
    assert tables2_speed.signature(Column().render) is first
    assert tables2_speed.signature(Column.render) == (("self", "value", "record"), None)
    assert tables2_speed.signature(free) == (("value", "table"), "kwargs")
