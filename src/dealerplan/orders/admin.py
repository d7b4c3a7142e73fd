from django.contrib import admin

from dealerplan.core.admin import ScopedAdmin

from .models import AccessoryLine, Payment, SalesOrder


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0


class AccessoryLineInline(admin.TabularInline):
    model = AccessoryLine
    extra = 0


@admin.register(SalesOrder)
class SalesOrderAdmin(ScopedAdmin):
    list_display = ["number", "customer", "consultant", "status", "order_date", "total"]
    list_filter = ["store", "status", "financing"]
    search_fields = ["number", "customer__name", "vehicle__vin", "plate_number"]
    list_select_related = ["customer", "consultant"]
    raw_id_fields = ["customer", "consultant", "deal", "vehicle"]
    inlines = [AccessoryLineInline, PaymentInline]


@admin.register(Payment)
class PaymentAdmin(ScopedAdmin):
    list_display = ["order", "kind", "method", "amount", "received_on"]
    list_filter = ["kind", "method"]
    search_fields = ["order__number", "reference"]
    raw_id_fields = ["order"]
