from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("", views.VehicleListView.as_view(), name="vehicle_list"),
    path("add/", views.VehicleEditView.as_view(), name="vehicle_add"),
    path("<int:pk>/", views.VehicleDetailView.as_view(), name="vehicle_detail"),
    path("<int:pk>/edit/", views.VehicleEditView.as_view(), name="vehicle_edit"),
]
