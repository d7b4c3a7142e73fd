"""Who may export which list, and the record of every export (个人信息保护法).

``guard_export(view)`` is called once, at the top of the list views' export branch: it refuses
an export the user's role may not make, turns an export longer than the policy allows into a
request a manager approves, and logs every export that goes ahead. A store overrides the
defaults below with ``ExportPolicy`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import Role
from .models import ExportLog, ExportPolicy, ExportRequest

__all__ = [
    "DEFAULTS",
    "EDITABLE_LISTS",
    "EDITABLE_ROLES",
    "Policy",
    "guard",
    "guard_export",
    "list_name_for",
    "policy_for",
    "read_policy_form",
    "set_store_policies",
    "store_policies",
    "workbook_properties",
]

#: Lists of customers with their phone numbers: only managers export them by default.
CUSTOMER_LISTS = ("customers:customer_list", "customers:pool")
#: Lists of orders and payments (buyers' names, amounts).
ORDER_LISTS = ("orders:order_list", "orders:receivables", "finance:reconciliation")
#: Rows a non-manager may export without approval, unless a store's policy says otherwise.
DEFAULT_MAX_ROWS = 500
#: Query parameters that are not filters.
NOT_FILTERS = ("export", "page", "export_request")

MANAGERS = Role.managers()

MSG_REFUSED = gettext_lazy(
    "Your role may not export the list “%(list)s”. Ask a manager if you need it."
)
MSG_NOT_APPROVED = gettext_lazy(
    "This approved export has already been downloaded, or was not approved."
)


@dataclass(frozen=True)
class Policy:
    allowed: bool
    max_rows: int | None  # None: no approval needed however long


def _default_max_rows() -> int:
    return int(getattr(settings, "EXPORT_ROWS_WITHOUT_APPROVAL", DEFAULT_MAX_ROWS))


def default_policy(role: str, list_name: str) -> Policy:
    """Managers export anything; nobody else exports the customer lists; consultants (their
    own) and finance export orders and payments, marketing does not."""
    if role in MANAGERS:
        return Policy(True, None)
    if list_name in CUSTOMER_LISTS:
        return Policy(False, 0)
    if list_name in ORDER_LISTS:
        return Policy(role in (Role.CONSULTANT, Role.FINANCE), _default_max_rows())
    return Policy(True, _default_max_rows())


#: The defaults on the lists with personal information, role by role (for the docs and admin).
DEFAULTS = {
    name: {role: default_policy(role, name) for role in Role.values}
    for name in (*CUSTOMER_LISTS, *ORDER_LISTS)
}


def policy_for(user, list_name: str) -> Policy:
    if user.is_superuser:
        return Policy(True, None)
    row = None
    if user.store_id is not None:
        row = ExportPolicy.objects.filter(
            store_id=user.store_id, role=user.role, list_name=list_name
        ).first()
    if row is None:
        return default_policy(user.role, list_name)
    return Policy(row.allowed, row.max_rows_without_approval)


#: The lists whose export rules a store edits (``/exports/policy/``), in the sidebar's words.
EDITABLE_LISTS = {
    "customers:customer_list": gettext_lazy("Customers"),
    "traffic:traffic_list": gettext_lazy("Traffic register"),
    "deals:deal_list": gettext_lazy("Deals"),
    "deals:tracking": gettext_lazy("Project tracking"),
    "orders:order_list": gettext_lazy("Sales orders"),
    "orders:receivables": gettext_lazy("Receivables"),
    "finance:reconciliation": gettext_lazy("Monthly reconciliation"),
    "inventory:vehicle_list": gettext_lazy("Stock"),
}
#: Managers always export; these roles follow the store's rules.
EDITABLE_ROLES = (Role.CONSULTANT, Role.FINANCE, Role.MARKETING)
#: The most rows a rule may let through without approval (a larger number is a typo).
MAX_ROWS_LIMIT = 1_000_000


def store_policies(store_id: int) -> dict[tuple[str, str], Policy]:
    """Every editable (role, list) of a store: its own rule, else the default."""
    rows = {
        (row.role, row.list_name): Policy(row.allowed, row.max_rows_without_approval)
        for row in ExportPolicy.objects.filter(store_id=store_id)
    }
    return {
        (role, name): rows.get((role, name), default_policy(role, name))
        for name in EDITABLE_LISTS
        for role in EDITABLE_ROLES
    }


def read_policy_form(data) -> tuple[dict, dict, list[str]]:
    """The rules grid as submitted: ``(policies, raw row limits by key, errors)``.

    A row limit is a whole number from 0 to ``MAX_ROWS_LIMIT`` (thousands commas allowed) or
    empty for no limit; each bad one is named by list and role, in the user's language.
    """
    policies, raw_limits, errors = {}, {}, []
    for name, label in EDITABLE_LISTS.items():
        for role in EDITABLE_ROLES:
            key = f"{role}:{name}"
            raw = data.get(f"max-{key}", "").strip().replace(",", "")
            raw_limits[key] = raw
            max_rows = None
            if raw.isdigit() and int(raw) <= MAX_ROWS_LIMIT:
                max_rows = int(raw)
            elif raw:
                errors.append(
                    _(
                        "%(list)s · %(role)s: enter a whole number of rows from 0 to "
                        "%(max)s, or leave it empty for no limit."
                    )
                    % {"list": label, "role": Role(role).label, "max": MAX_ROWS_LIMIT}
                )
            policies[(role, name)] = Policy(data.get(f"allowed-{key}") == "on", max_rows)
    return policies, raw_limits, errors


def set_store_policies(store_id: int, policies: dict[tuple[str, str], Policy]) -> int:
    """Save a store's rules in one transaction; a rule equal to the default is not stored, so
    a later change of the defaults still reaches it. Returns how many rules differ."""
    with transaction.atomic():
        ExportPolicy.objects.filter(
            store_id=store_id, role__in=EDITABLE_ROLES, list_name__in=EDITABLE_LISTS
        ).delete()
        own = [
            ExportPolicy(
                store_id=store_id,
                role=role,
                list_name=name,
                allowed=policy.allowed,
                max_rows_without_approval=policy.max_rows,
            )
            for (role, name), policy in policies.items()
            if policy != default_policy(role, name)
        ]
        ExportPolicy.objects.bulk_create(own)
    return len(own)


def list_name_for(request) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return request.path_info


def filter_query(request) -> str:
    query = request.GET.copy()
    for name in NOT_FILTERS:
        query.pop(name, None)
    return query.urlencode()


def workbook_properties(user, title: str, at=None) -> dict:
    """Who exported the workbook and when, in its document properties."""
    at = timezone.localtime(at or timezone.now())
    name = user.display_name if hasattr(user, "display_name") else str(user)
    return {
        "creator": f"{name} ({user.get_username()})",
        "lastModifiedBy": user.get_username(),
        "title": str(title),
        "description": _("Exported by %(user)s at %(time)s from dealerplan.")
        % {"user": name, "time": f"{at:%Y-%m-%d %H:%M}"},
    }


def _back(request):
    query = filter_query(request)
    return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)


def _redeem(request, list_name: str, query: str) -> ExportRequest | None:
    """An approved request for exactly this list and these filters, used up now."""
    pk = request.GET.get("export_request", "")
    if not pk.isdigit():
        return None
    with transaction.atomic():
        used = ExportRequest.objects.filter(
            pk=int(pk),
            user=request.user,
            list_name=list_name,
            query=query,
            status=ExportRequest.Status.APPROVED,
        ).update(status=ExportRequest.Status.DOWNLOADED, downloaded_at=timezone.now())
    return ExportRequest.objects.get(pk=int(pk)) if used else None


def guard_export(view):
    """``None`` if the export may go ahead (and it is logged), else the response to send."""
    title = str(getattr(view, "export_filename", None) or view.model._meta.verbose_name_plural)
    return guard(view.request, title, lambda: view.filtered_queryset().count())


def guard(request, title, count_rows):
    """The export policy for any export: the role may make it, long ones need approval, and
    each one that goes ahead is logged. ``count_rows()`` is called only when it matters."""
    user = request.user
    list_name = list_name_for(request)
    title = str(title)
    policy = policy_for(user, list_name)
    if not policy.allowed:
        messages.error(request, MSG_REFUSED % {"list": title})
        return _back(request)
    query = filter_query(request)
    approval = None
    rows = count_rows()
    if "export_request" in request.GET:
        approval = _redeem(request, list_name, query)
        if approval is None:
            messages.error(request, MSG_NOT_APPROVED)
            return _back(request)
    elif policy.max_rows is not None and rows > policy.max_rows:
        export_request, _created = ExportRequest.objects.get_or_create(
            user=user,
            list_name=list_name,
            query=query,
            status=ExportRequest.Status.REQUESTED,
            defaults={
                "store_id": user.store_id,
                "title": title[:100],
                "path": request.path,
                "row_count": rows,
            },
        )
        messages.info(
            request,
            _(
                "Exporting %(rows)s rows needs a manager's approval (up to %(max)s rows "
                "without). Your request has been sent; you can download once it is approved."
            )
            % {"rows": rows, "max": policy.max_rows},
        )
        return HttpResponseRedirect(reverse("exports:request", args=[export_request.pk]))
    ExportLog.objects.create(
        user=user,
        store_id=user.store_id,
        list_name=list_name,
        title=title[:100],
        query=query,
        row_count=rows,
        request=approval,
    )
    return None
