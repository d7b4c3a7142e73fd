from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import Brand, Color, Series, Trim


@admin.register(Brand)
class BrandAdmin(ScopedAdmin):
    list_display = ["name", "name_en", "is_competitor"]
    list_filter = ["is_competitor"]
    search_fields = ["name", "name_en"]


@admin.register(Series)
class SeriesAdmin(ScopedAdmin):
    list_display = ["name", "brand", "body_type"]
    list_filter = ["brand__is_competitor", "brand"]
    search_fields = ["name", "brand__name"]


@admin.register(Trim)
class TrimAdmin(ScopedAdmin):
    list_display = ["name", "series", "model_year", "guide_price", "is_active"]
    list_filter = ["is_active", "series__brand", "model_year"]
    search_fields = ["name", "series__name"]
    list_select_related = ["series__brand"]


@admin.register(Color)
class ColorAdmin(ScopedAdmin):
    list_display = ["name", "brand", "code", "hex_value"]
    list_filter = ["brand"]
    search_fields = ["name", "code"]
