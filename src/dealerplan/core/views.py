"""Generic list, detail and edit views on the NetBox pattern.

A model's views are declarations: the model, a FilterSet, a Table and a form. Scope comes from
``Model.objects.visible_to(user)`` in one place, so an out-of-scope record is a 404 everywhere.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.generic import DetailView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .exports import async_threshold, xlsx_response
from .exports_policy import guard_export, workbook_properties
from .table_export import export_rows
from .tasks import start_export


class ScopedViewMixin(LoginRequiredMixin):
    """Start every query from what the user may see; ``edit_roles`` gates writes."""

    model = None
    select_related: tuple[str, ...] = ()
    edit_roles: frozenset[str] | None = None  # None: anyone who can see the record
    list_url_name: str | None = None
    add_url_name: str | None = None
    edit_url_name: str | None = None

    def get_queryset(self):
        qs = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs

    def user_can_edit(self) -> bool:
        user = self.request.user
        if user.is_superuser:
            return True
        return self.edit_roles is None or user.role in self.edit_roles

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_edit = self.user_can_edit()
        context.update(
            list_url=reverse(self.list_url_name) if self.list_url_name else None,
            add_url=reverse(self.add_url_name) if self.add_url_name and can_edit else None,
            verbose_name=self.model._meta.verbose_name,
            verbose_name_plural=self.model._meta.verbose_name_plural,
        )
        return context


class ObjectListView(ScopedViewMixin, SingleTableMixin, FilterView):
    """A filtered, paginated table; ``?export=xlsx`` returns exactly the filtered rows."""

    template_name = "generic/object_list.html"
    paginate_by = 25
    export_filename: str | None = None
    strict = False

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            refused = guard_export(self)  # role policy, approval of long exports, the log
            return refused or self.export_xlsx()
        return super().get(request, *args, **kwargs)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        # Always bound, so a FilterSet's defaults (e.g. hide archived rows) apply to the first
        # page view too, not only once the user has pressed "Filter".
        kwargs["data"] = self.request.GET
        return kwargs

    def paginate_queryset(self, queryset, page_size):
        """The table paginates (``paginator_class``); a second paginator would count again."""
        return None, None, queryset, False

    def filtered_queryset(self):
        filterset = self.get_filterset(self.get_filterset_class())
        return filterset.qs if filterset.is_valid() else filterset.queryset.none()

    def export_table(self):
        """The table whose values are exported: the filtered rows, without the action column."""
        return self.get_table_class()(self.filtered_queryset(), exclude=("actions",))

    def export_xlsx(self):
        """Small lists download at once; longer ones are written by a background task."""
        table = self.export_table()
        name = str(self.export_filename or self.model._meta.verbose_name_plural)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        filename = f"{name}-{stamp}.xlsx"
        if table.data.data.count() > async_threshold():
            query = self.request.GET.copy()
            query.pop("export", None)
            query.pop("page", None)
            job = start_export(
                self.request.user,
                path=self.request.path,
                query=query.urlencode(),
                title=name,
                filename=filename,
            )
            return HttpResponseRedirect(reverse("reports:export_job", args=[job.pk]))
        return xlsx_response(
            export_rows(table),
            filename=filename,
            sheet_title=name,
            properties=workbook_properties(self.request.user, name),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        query["export"] = "xlsx"
        paginator = getattr(context["table"], "paginator", None)
        context.update(
            page_title=capfirst(self.model._meta.verbose_name_plural),
            filter_form=self.filterset.form,
            export_url=f"{self.request.path}?{query.urlencode()}",
            # An int, or "about N" from a paginator that estimates huge counts.
            result_count=getattr(paginator, "display_count", paginator.count)
            if paginator
            else len(self.object_list),
        )
        return context


class ObjectDetailView(ScopedViewMixin, DetailView):
    template_name = "generic/object_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page_title=str(self.object),
            edit_url=reverse(self.edit_url_name, args=[self.object.pk])
            if self.edit_url_name and self.user_can_edit()
            else None,
        )
        return context


class ObjectEditView(ScopedViewMixin, UpdateView):
    """Create (no ``pk`` in the URL) and edit (``pk``) through one form and one save hook."""

    template_name = "generic/object_edit.html"
    success_message = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.user_can_edit():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        if "pk" not in self.kwargs:
            return None
        return super().get_object(queryset)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def save(self, form):
        """Override to call the app's service function."""
        return form.save()

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return HttpResponseRedirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object is None:
            title = _("New %(name)s") % {"name": self.model._meta.verbose_name}
            cancel_url = reverse(self.list_url_name) if self.list_url_name else "/"
        else:
            title = _("Edit %(name)s") % {"name": self.object}
            cancel_url = self.object.get_absolute_url()
        context.update(page_title=title, cancel_url=cancel_url)
        return context


def healthz(request):
    """Liveness and database check for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:
        database = "error"
    healthy = database == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "vendor": connection.vendor},
        status=200 if healthy else 503,
    )


def favicon(request):
    return HttpResponsePermanentRedirect(static("dealerplan/favicon.svg"))
