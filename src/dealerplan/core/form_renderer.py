"""The form renderer: Django's templates, with ``<select>`` built in Python.

A filter bar's selects (owners, series, sources) hold hundreds of options, and Django renders
every option through two template includes: on a list page that was half the server time.
``render_select`` writes the markup of Django's own ``select.html`` and ``select_option.html``
(tested against them), so nothing changes but the time; a widget or option with its own
template still goes through the template engine.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """``{{ value }}`` in a template: localised, then escaped unless already safe."""
    return str(conditional_escape(localize(value)))


def _attrs(attrs) -> str:
    """Django's ``attrs.html``: ``True`` writes the bare name, ``False`` leaves it out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_text(name)}")
        else:
            parts.append(f' {_text(name)}="{conditional_escape(value)}"')
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            return self.render_select(context["widget"], context, request)
        return super().render(template_name, context, request)

    def render_select(self, widget, context, request) -> str:
        html = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                html.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option in group_choices:
                html.append("\n  ")
                if option["template_name"] == OPTION_TEMPLATE:
                    html.append(
                        f'<option value="{conditional_escape(option["value"])}"'
                        f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
                    )
                else:
                    template = self.get_template(option["template_name"])  # as included: unstripped
                    html.append(template.render({**context, "widget": option}, request))
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return "".join(html)
