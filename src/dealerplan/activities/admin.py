from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import Activity, TrafficEntry


@admin.register(Activity)
class ActivityAdmin(ScopedAdmin):
    list_display = ["customer", "kind", "status", "owner", "planned_at", "done_at", "outcome"]
    list_filter = ["store", "kind", "status", "outcome", "is_important"]
    search_fields = ["customer__name", "notes"]
    list_select_related = ["customer", "owner"]
    raw_id_fields = ["customer", "owner"]
    date_hierarchy = "done_at"


@admin.register(TrafficEntry)
class TrafficEntryAdmin(ScopedAdmin):
    list_display = ["arrived_at", "kind", "visit_type", "consultant", "series", "test_drive"]
    list_filter = ["store", "kind", "visit_type", "channel", "test_drive", "wechat_added"]
    search_fields = ["visitor_name", "visitor_phone", "customer__name"]
    raw_id_fields = ["customer", "consultant"]
    date_hierarchy = "arrived_at"
