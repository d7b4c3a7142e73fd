from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import Contact, Customer


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(ScopedAdmin):
    list_display = [
        "name",
        "phone",
        "store",
        "owner",
        "intention_level",
        "account_tier",
        "next_follow_up_at",
    ]
    list_filter = ["store", "intention_level", "account_tier", "source", "kind", "is_archived"]
    search_fields = ["name", "phone", "search_text"]
    list_select_related = ["store", "owner"]
    raw_id_fields = ["owner", "intended_trim"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(ScopedAdmin):
    list_display = ["name", "customer", "title", "is_decision_maker"]
    list_filter = ["is_decision_maker"]
    search_fields = ["name", "customer__name", "phone"]
    raw_id_fields = ["customer"]
