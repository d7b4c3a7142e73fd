from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dealerplan.core.admin import ScopedAdmin
from dealerplan.core.choices import Role

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


class DeactivationGuardForm(UserChangeForm):
    """Nobody is switched off while they still hold customers, deals, planned work or orders."""

    def clean_is_active(self):
        active = self.cleaned_data.get("is_active")
        if self.instance.pk and self.instance.is_active and not active:
            from dealerplan.customers.handover import open_records

            records = open_records(self.instance)
            if records.total:
                raise ValidationError(
                    _(
                        "This person still holds %(customers)d customers, %(deals)d open deals, "
                        "%(activities)d planned activities and %(orders)d open orders. Hand them "
                        "over first on the staff handover page."
                    )
                    % {
                        "customers": records.customers,
                        "deals": records.deals,
                        "activities": records.activities,
                        "orders": records.orders,
                    },
                    code="open_records",
                )
        return active


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    form = DeactivationGuardForm
    list_display = ["username", "display_name", "role", "store", "team", "is_active"]
    list_filter = ["role", "store", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "phone", "email"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Dealership"), {"fields": ("store", "team", "role", "phone")}),
    )
    #: What a store manager may not touch: only superusers grant rights or move people.
    PRIVILEGED_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions", "store")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [f for f in self.PRIVILEGED_FIELDS if f not in readonly]
        return readonly

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [
                (value, label) for value, label in Role.choices if value not in Role.group_wide()
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.store = request.user.store
        super().save_model(request, obj, form, change)

    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Dealership"), {"fields": ("store", "team", "role", "phone")}),
    )
