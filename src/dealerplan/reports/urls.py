from django.urls import path

from dealerplan.core import export_views

from . import dashboard_views, summary_views, views

app_name = "reports"

urlpatterns = [
    path("", views.ReportHubView.as_view(), name="hub"),
    path("dashboard/", dashboard_views.DashboardView.as_view(), name="dashboard"),
    path("sales-plan/", views.SalesPlanView.as_view(), name="sales_plan"),
    path("visit-plan/", views.VisitPlanView.as_view(), name="visit_plan"),
    path("sales-statistics/", views.SalesStatsView.as_view(), name="sales_stats"),
    path("visit-statistics/", views.VisitStatsView.as_view(), name="visit_stats"),
    path("year-plan/", views.YearPlanView.as_view(), name="year_plan"),
    path("year-summary/", views.YearSummaryView.as_view(), name="year_summary"),
    path("summary/", summary_views.WorkSummaryView.as_view(), name="summary"),
    path("exports/<int:pk>/", export_views.ExportJobView.as_view(), name="export_job"),
    path(
        "exports/<int:pk>/progress/",
        export_views.ExportProgressView.as_view(),
        name="export_progress",
    ),
    path(
        "exports/<int:pk>/download/",
        export_views.ExportDownloadView.as_view(),
        name="export_download",
    ),
]
