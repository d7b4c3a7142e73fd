from django.urls import path

from . import reorder_views as views

app_name = "reorder"

urlpatterns = [
    path("", views.CurrentFactoryOrderView.as_view(), name="current"),
    path("prepare/", views.PrepareFactoryOrderView.as_view(), name="prepare"),
    path("history/", views.FactoryOrderListView.as_view(), name="list"),
    path("settings/", views.ReorderSettingsView.as_view(), name="settings"),
    path("<int:pk>/", views.FactoryOrderDetailView.as_view(), name="detail"),
]
