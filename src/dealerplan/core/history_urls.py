from django.urls import path

from .history_views import ObjectHistoryView

app_name = "history"

urlpatterns = [
    path(
        "<str:app_label>/<str:model_name>/<int:pk>/",
        ObjectHistoryView.as_view(),
        name="object",
    ),
]
