"""Form widgets shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class AutocompleteSelect(forms.Widget):
    """A search box for a model choice too big for a <select> (customers of a large store).

    The visible text input asks ``url`` for matches (``?q=…``, answered with JSON
    ``{"results": [{"id", "label", "detail"}], "more": bool}``) and ``dealerplan/autocomplete.js``
    draws a keyboard-operable ARIA combobox; a hidden input posts the chosen id. The field still
    validates the id against its (scoped) queryset, and only the chosen row is looked up to show
    its label, through that queryset: a hand-posted id from outside the user's scope shows
    nothing. The script is loaded by the widget itself (once per page), so any form template
    can use it.
    """

    template_name = "core/widgets/autocomplete.html"
    script = "dealerplan/autocomplete.js"

    def __init__(self, url, attrs=None, *, min_chars: int = 1, placeholder=None):
        super().__init__(attrs)
        self.url = url
        self.min_chars = min_chars
        self.placeholder = placeholder
        self.choices = ()  # a ModelChoiceField puts its choice iterator here

    def selected_label(self, value) -> str:
        queryset = getattr(self.choices, "queryset", None)
        if value in (None, "") or queryset is None:
            return ""
        try:
            obj = queryset.filter(pk=value).first()
        except (TypeError, ValueError, ValidationError):
            return ""
        return self.choices.field.label_from_instance(obj) if obj is not None else ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        input_id = widget["attrs"].get("id") or f"id_{name}"
        widget["attrs"]["id"] = input_id
        if self.placeholder and "placeholder" not in widget["attrs"]:
            widget["attrs"]["placeholder"] = self.placeholder
        widget.update(
            label=self.selected_label(value),
            url=str(self.url),
            min_chars=self.min_chars,
            script=self.script,
            value_id=f"{input_id}_value",
            listbox_id=f"{input_id}_listbox",
            messages={
                "none": _("No matches."),
                "count": _("{count} matches; use the up and down arrow keys to choose."),
                "more": _("The first {count} matches; type more to narrow them down."),
                "short": _("Type at least {count} characters."),
                "error": _("The search failed; please try again."),
                "listbox": _("Suggestions"),
            },
        )
        return context

    def format_value(self, value):
        return "" if value is None else str(value)

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def id_for_label(self, id_):
        return id_
