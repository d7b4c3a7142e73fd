from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("receivables/", views.ReceivablesView.as_view(), name="receivables"),
]
