from django.urls import path

from . import document_views

urlpatterns = [
    path("documents/", document_views.DocumentListView.as_view(), name="document_list"),
    path("documents/new/", document_views.DocumentCreateView.as_view(), name="document_create"),
    path(
        "documents/<int:pk>/",
        document_views.DocumentDetailView.as_view(),
        name="document_detail",
    ),
]
