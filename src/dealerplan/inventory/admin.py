from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import Vehicle


@admin.register(Vehicle)
class VehicleAdmin(ScopedAdmin):
    list_display = ["vin", "trim", "color", "status", "arrival_date", "cost", "store"]
    list_filter = ["store", "status", "trim__series"]
    search_fields = ["vin"]
    list_select_related = ["trim__series", "color", "store"]
