from django.urls import path

from . import lost_views, report_views, rules_views, views

app_name = "activities"

urlpatterns = [
    path("my-day/", views.MyDayView.as_view(), name="my_day"),
    path("customers/<int:pk>/log/", views.LogActivityView.as_view(), name="log_activity"),
    path("customers/<int:pk>/plan/", views.PlanActivityView.as_view(), name="plan_activity"),
    path("customers/<int:pk>/lost/", lost_views.RequestLostView.as_view(), name="request_lost"),
    path("lost/", lost_views.LostListView.as_view(), name="lost_list"),
    path("lost/<int:pk>/decide/", lost_views.LostDecisionView.as_view(), name="lost_decide"),
    path("lost/analysis/", lost_views.LostAnalysisView.as_view(), name="lost_analysis"),
    path("settings/rules/", rules_views.RulesView.as_view(), name="rules"),
    path("daily-log/", views.DailyLogView.as_view(), name="daily_log"),
    path("daily-log/<int:pk>/", views.DailyLogDetailView.as_view(), name="daily_log_detail"),
    path("reports/daily/", report_views.DailyReportView.as_view(), name="daily_report"),
    path("reports/levels/", report_views.LevelReportView.as_view(), name="level_report"),
]
