"""The full change history of one record, scoped like its detail page."""

from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from .history import field_choices, has_history, history_page


def history_target(user, app_label: str, model_name: str, pk: int):
    """The record if ``user`` may see it, else 404: models without scope have no history page."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        raise Http404 from None
    manager = getattr(model, "objects", None)
    if not has_history(model) or not hasattr(manager, "visible_to"):
        raise Http404
    return get_object_or_404(manager.visible_to(user), pk=pk)


class ObjectHistoryView(LoginRequiredMixin, TemplateView):
    template_name = "core/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = history_target(
            self.request.user, kwargs["app_label"], kwargs["model_name"], kwargs["pk"]
        )
        field_name = self.request.GET.get("field") or None
        result = history_page(obj, field_name=field_name, page=self.request.GET.get("page", 1))
        choices = field_choices(type(obj))
        context.update(
            object=obj,
            page_title=str(obj),
            verbose_name=obj._meta.verbose_name,
            history=result,
            field_choices=choices,
            field=field_name if field_name in dict(choices) else "",
            object_url=obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None,
        )
        return context
