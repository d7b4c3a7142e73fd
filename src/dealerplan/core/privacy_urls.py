from django.urls import path

from . import privacy_views

app_name = "exports"

urlpatterns = [
    path("log/", privacy_views.ExportLogView.as_view(), name="log"),
    path("policy/", privacy_views.ExportPolicyView.as_view(), name="policy"),
    path("requests/<int:pk>/", privacy_views.ExportRequestView.as_view(), name="request"),
    path("requests/<int:pk>/decide/", privacy_views.ExportDecideView.as_view(), name="decide"),
]
