from django.urls import path

from . import document_urls, views, weekplan_urls

app_name = "planning"

urlpatterns = [
    path("", views.PlanListView.as_view(), name="plan_list"),
    path("new/", views.BreakdownWizardView.as_view(), name="wizard"),
    path("progress/", views.ProgressView.as_view(), name="progress"),
    path("<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    *weekplan_urls.urlpatterns,
    *document_urls.urlpatterns,
]
