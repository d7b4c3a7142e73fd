"""The export log and the approval of long exports, for the store's managers."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from .choices import Role
from .exports_policy import (
    EDITABLE_LISTS,
    EDITABLE_ROLES,
    default_policy,
    read_policy_form,
    set_store_policies,
    store_policies,
)
from .models import ExportLog, ExportRequest

LOG_PAGE_SIZE = 50


class ManagerOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_manager:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def visible_requests(user):
    """A manager sees the store's requests; anyone else only their own."""
    requests = ExportRequest.objects.visible_to(user).select_related("user", "decided_by")
    return requests if user.is_manager else requests.filter(user=user)


class ExportLogView(ManagerOnlyMixin, View):
    """Every export of the store, newest first, and the requests waiting for approval."""

    def get(self, request):
        logs = ExportLog.objects.visible_to(request.user).select_related("user", "store")
        page = Paginator(logs, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
        pending = visible_requests(request.user).filter(status=ExportRequest.Status.REQUESTED)
        return render(
            request,
            "core/export_log.html",
            {"page_title": _("Export log"), "page": page, "pending": pending},
        )


class ExportRequestView(LoginRequiredMixin, View):
    def get(self, request, pk):
        export_request = get_object_or_404(visible_requests(request.user), pk=pk)
        download_url = None
        if (
            export_request.status == ExportRequest.Status.APPROVED
            and export_request.user_id == request.user.pk
        ):
            query = f"{export_request.query}&" if export_request.query else ""
            download_url = (
                f"{export_request.path}?{query}export=xlsx&export_request={export_request.pk}"
            )
        can_decide = (
            request.user.is_manager
            and export_request.status == ExportRequest.Status.REQUESTED
            and export_request.user_id != request.user.pk
        )
        return render(
            request,
            "core/export_request.html",
            {
                "page_title": _("Export request"),
                "object": export_request,
                "download_url": download_url,
                "can_decide": can_decide,
            },
        )


class ExportDecideView(ManagerOnlyMixin, View):
    """A manager approves or declines a request; each request is decided once."""

    def post(self, request, pk):
        approve = request.POST.get("decision") == "approve"
        with transaction.atomic():
            export_request = get_object_or_404(
                visible_requests(request.user).select_for_update(of=("self",)),
                pk=pk,
                status=ExportRequest.Status.REQUESTED,
            )
            if export_request.user_id == request.user.pk:
                raise PermissionDenied
            export_request.status = (
                ExportRequest.Status.APPROVED if approve else ExportRequest.Status.DECLINED
            )
            export_request.decided_by = request.user
            export_request.decided_at = timezone.now()
            export_request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        if approve:
            messages.success(request, _("Approved: the requester can now download it once."))
        else:
            messages.info(request, _("Export request declined."))
        return HttpResponseRedirect(reverse("exports:log"))


class ExportPolicyView(ManagerOnlyMixin, View):
    """导出权限: which roles of the store may export which list, and from how many rows a
    manager must approve. Group-level users pick the store."""

    template_name = "core/export_policy.html"

    def store(self, request):
        from dealerplan.org.models import Store

        raw = request.GET.get("store") or request.POST.get("store") or ""
        if request.user.store_id is not None and not raw:
            return request.user.store
        stores = Store.objects.visible_to(request.user)
        if not raw:
            return stores.order_by("code").first()
        return get_object_or_404(stores, pk=raw if raw.isdigit() else 0)

    def get(self, request):
        store = self.store(request)
        policies = store_policies(store.pk) if store else {}
        return self.render(request, store, self.cells(policies), errors=[])

    def post(self, request):
        store = self.store(request)
        if store is None:
            raise PermissionDenied
        policies, raw, errors = read_policy_form(request.POST)
        if errors:
            return self.render(
                request,
                store,
                self.cells(policies, raw=raw),
                errors,
                status=400,
            )
        changed = set_store_policies(store.pk, policies)
        messages.success(
            request,
            _("Export rules saved for %(store)s: %(n)s differ from the defaults.")
            % {"store": store.name, "n": changed},
        )
        return HttpResponseRedirect(f"{reverse('exports:policy')}?store={store.pk}")

    @staticmethod
    def cells(policies, raw=None):
        """Rows of the grid: a list, then for each role its checkbox and row limit."""
        raw = raw or {}
        return [
            {
                "label": label,
                "cells": [
                    {
                        "key": f"{role}:{name}",
                        "allowed": policies[(role, name)].allowed,
                        "max_rows": raw.get(
                            f"{role}:{name}",
                            ""
                            if policies[(role, name)].max_rows is None
                            else policies[(role, name)].max_rows,
                        ),
                        "default": default_policy(role, name),
                    }
                    for role in EDITABLE_ROLES
                ],
            }
            for name, label in EDITABLE_LISTS.items()
            if (EDITABLE_ROLES[0], name) in policies
        ]

    def render(self, request, store, rows, errors, status=200):
        from dealerplan.org.models import Store

        return render(
            request,
            self.template_name,
            {
                "page_title": _("Export rules"),
                "store": store,
                "stores": Store.objects.visible_to(request.user).order_by("code")
                if request.user.store_id is None
                else [],
                "roles": [Role(role).label for role in EDITABLE_ROLES],
                "rows": rows,
                "errors": errors,
                "log_url": reverse("exports:log"),
            },
            status=status,
        )
