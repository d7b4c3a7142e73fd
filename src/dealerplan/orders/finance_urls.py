from django.urls import path

from . import finance_views

app_name = "finance"

urlpatterns = [
    path("reconciliation/", finance_views.ReconciliationView.as_view(), name="reconciliation"),
]
