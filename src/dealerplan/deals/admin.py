from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import Deal, Pipeline, Stage


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(ScopedAdmin):
    list_display = ["name", "store", "kind", "is_default"]
    list_filter = ["store", "kind"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Deal)
class DealAdmin(ScopedAdmin):
    list_display = [
        "title",
        "customer",
        "owner",
        "stage",
        "status",
        "amount",
        "expected_close_date",
    ]
    list_filter = ["store", "status", "pipeline"]
    search_fields = ["title", "customer__name"]
    list_select_related = ["customer", "owner", "stage"]
    raw_id_fields = ["customer", "owner"]
