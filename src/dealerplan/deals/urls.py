from django.urls import path

from . import views

app_name = "deals"

urlpatterns = [
    path("", views.DealListView.as_view(), name="deal_list"),
    path("add/", views.DealEditView.as_view(), name="deal_add"),
    path("board/", views.BoardView.as_view(), name="board"),
    path("tracking/", views.TrackingView.as_view(), name="tracking"),
    path("<int:pk>/", views.DealDetailView.as_view(), name="deal_detail"),
    path("<int:pk>/edit/", views.DealEditView.as_view(), name="deal_edit"),
    path("<int:pk>/move/", views.MoveView.as_view(), name="move"),
]
