from django.urls import path

from . import weekplan_views as views

urlpatterns = [
    path("week/", views.WeekPlanView.as_view(), name="week_plan"),
    path("visits/", views.VisitPlanView.as_view(), name="visit_plan"),
]
