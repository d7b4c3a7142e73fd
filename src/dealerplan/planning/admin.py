from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import CapitalItem, Plan, PlanDocument, PlanLine, WorkdayOverride


class PlanLineInline(admin.TabularInline):
    model = PlanLine
    extra = 0


@admin.register(Plan)
class PlanAdmin(ScopedAdmin):
    list_display = [
        "__str__",
        "store",
        "period_type",
        "period_start",
        "scope",
        "status",
        "revision",
    ]
    list_filter = ["store", "period_type", "scope", "status"]
    search_fields = ["consultant__username", "consultant__last_name", "notes"]
    raw_id_fields = ["parent", "consultant", "team"]
    inlines = [PlanLineInline]
    date_hierarchy = "period_start"


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(ScopedAdmin):
    """Where a manager enters the make-up working days the State Council announces."""

    list_display = ["date", "is_workday", "note", "store"]
    list_filter = ["store", "is_workday"]
    date_hierarchy = "date"


class CapitalItemInline(admin.TabularInline):
    model = CapitalItem
    extra = 0


@admin.register(PlanDocument)
class PlanDocumentAdmin(ScopedAdmin):
    list_display = ["__str__", "author", "month", "kind", "status", "store"]
    list_filter = ["store", "status", "kind"]
    raw_id_fields = ["author", "decided_by"]
    inlines = [CapitalItemInline]
