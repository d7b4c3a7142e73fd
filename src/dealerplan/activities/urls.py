from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("my-day/", views.MyDayView.as_view(), name="my_day"),
    path("customers/<int:pk>/log/", views.LogActivityView.as_view(), name="log_activity"),
    path("customers/<int:pk>/plan/", views.PlanActivityView.as_view(), name="plan_activity"),
]
