from django.urls import path

from . import traffic_views as views

app_name = "traffic"

urlpatterns = [
    path("", views.TrafficListView.as_view(), name="traffic_list"),
    path("add/", views.TrafficEditView.as_view(), name="traffic_add"),
    path("kpis/", views.TrafficKpiView.as_view(), name="kpis"),
    path("phone-lookup/", views.PhoneLookupView.as_view(), name="phone_lookup"),
    path("<int:pk>/", views.TrafficDetailView.as_view(), name="traffic_detail"),
    path("<int:pk>/edit/", views.TrafficEditView.as_view(), name="traffic_edit"),
    path("<int:pk>/depart/", views.TrafficDepartView.as_view(), name="traffic_depart"),
    path("<int:pk>/respond/", views.TrafficRespondView.as_view(), name="traffic_respond"),
]
