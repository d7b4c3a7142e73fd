"""URLs of the stock import (included by ``inventory/urls.py``, namespace ``inventory``)."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("import/", import_views.ImportUploadView.as_view(), name="import_upload"),
    path("import/template.xlsx", import_views.ImportTemplateView.as_view(), name="import_template"),
    path("import/<int:pk>/", import_views.ImportJobView.as_view(), name="import_job"),
    path(
        "import/<int:pk>/columns/", import_views.ImportMappingView.as_view(), name="import_mapping"
    ),
    path(
        "import/<int:pk>/duplicates/",
        import_views.ImportDecisionView.as_view(),
        name="import_decide",
    ),
    path(
        "import/<int:pk>/confirm/", import_views.ImportConfirmView.as_view(), name="import_confirm"
    ),
]
