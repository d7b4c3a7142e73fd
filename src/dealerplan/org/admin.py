from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from dealerplan.core.admin import ScopedAdmin

from .models import Store, Team, User


@admin.register(Store)
class StoreAdmin(ScopedAdmin):
    list_display = ["code", "name", "city", "phone", "is_active"]
    list_filter = ["is_active", "city"]
    search_fields = ["code", "name", "city"]


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = ["name", "store", "leader"]
    list_filter = ["store"]
    search_fields = ["name"]
    autocomplete_fields = ["leader"]


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "store", "team", "is_active"]
    list_filter = ["role", "store", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "phone", "email"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Dealership"), {"fields": ("store", "team", "role", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Dealership"), {"fields": ("store", "team", "role", "phone")}),
    )
