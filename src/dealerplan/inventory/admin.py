from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import FactoryOrder, FactoryOrderLine, ReorderSettings, Vehicle


@admin.register(Vehicle)
class VehicleAdmin(ScopedAdmin):
    list_display = ["vin", "trim", "color", "status", "arrival_date", "cost", "store"]
    list_filter = ["store", "status", "trim__series"]
    search_fields = ["vin"]
    list_select_related = ["trim__series", "color", "store"]


@admin.register(ReorderSettings)
class ReorderSettingsAdmin(ScopedAdmin):
    list_display = ["store", "lead_time_weeks", "target_days_of_supply", "aged_share_limit"]
    list_select_related = ["store"]


class FactoryOrderLineInline(admin.TabularInline):
    model = FactoryOrderLine
    extra = 0
    fields = [
        "trim",
        "color",
        "forecast_qty",
        "in_stock",
        "in_transit",
        "on_order",
        "backlog",
        "suggested_qty",
        "ordered_qty",
        "reason",
    ]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FactoryOrder)
class FactoryOrderAdmin(ScopedAdmin):
    list_display = ["week_start", "store", "status", "submitted_by", "submitted_at"]
    list_filter = ["store", "status"]
    list_select_related = ["store", "submitted_by"]
    readonly_fields = ["status", "submitted_by", "submitted_at", "suggested_at"]
    inlines = [FactoryOrderLineInline]
