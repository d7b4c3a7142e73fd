"""The project's form renderer writes exactly what Django's select templates write."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from dealerplan.core.form_renderer import FormRenderer
from dealerplan.org.models import Store

CHOICES = [
    ("", "全部"),
    ("a&b", "<script>x</script>"),
    (3, 12345),
    ("safe", mark_safe("<b>安全</b>")),  # a label already marked safe stays as is
    ("lazy", gettext_lazy("All")),
    ("Group <1>", [("g1", "一"), ("g2", "二")]),
]


class CustomOption(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


def widgets():
    return [
        (forms.Select(choices=CHOICES), "a&b"),
        (forms.Select(choices=CHOICES, attrs={"class": "form-select", "required": True}), 3),
        (forms.Select(choices=CHOICES, attrs={"disabled": False, "data-x": '"q"'}), None),
        (forms.SelectMultiple(choices=CHOICES), ["g1", "safe"]),
        (forms.NullBooleanSelect(), True),
        (CustomOption(choices=CHOICES), "g2"),
    ]


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_select_renders_as_djangos_own_templates_render_it(index, language):
    widget, value = widgets()[index]
    with override(language):
        fast = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=FormRenderer())
        stock = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=DjangoTemplates())
    assert stock.startswith('<select name="pick"') and "selected" in stock
    assert fast == stock


@pytest.mark.django_db
def test_a_model_choice_select_renders_as_djangos_own_templates_render_it():
    Store.objects.create(name="北京<朝阳>店", code="BJ01")
    Store.objects.create(name="上海&浦东店", code="SH01")
    field = forms.ModelChoiceField(queryset=Store.objects.order_by("code"))
    chosen = Store.objects.get(code="SH01").pk
    fast = field.widget.render("store", chosen, renderer=FormRenderer())
    stock = field.widget.render("store", chosen, renderer=DjangoTemplates())
    assert "北京&lt;朝阳&gt;店" in fast and "selected" in fast
    assert fast == stock


def test_the_project_renders_forms_with_it(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert isinstance(get_default_renderer(), FormRenderer)
    finally:
        get_default_renderer.cache_clear()
