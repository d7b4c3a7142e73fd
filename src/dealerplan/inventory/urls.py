from django.urls import path

from . import import_urls, views

app_name = "inventory"

urlpatterns = [
    path("", views.VehicleListView.as_view(), name="vehicle_list"),
    path("summary/", views.StockSummaryView.as_view(), name="stock_summary"),
    path("add/", views.VehicleEditView.as_view(), name="vehicle_add"),
    path("<int:pk>/", views.VehicleDetailView.as_view(), name="vehicle_detail"),
    path("<int:pk>/edit/", views.VehicleEditView.as_view(), name="vehicle_edit"),
    path("<int:pk>/in-transit/", views.MarkInTransitView.as_view(), name="vehicle_in_transit"),
    path("<int:pk>/receive/", views.ReceiveView.as_view(), name="vehicle_receive"),
    *import_urls.urlpatterns,
]
