from django.urls import path

from . import pool_views

urlpatterns = [
    path("pool/", pool_views.PoolListView.as_view(), name="pool"),
    path("pool/settings/", pool_views.PoolRulesView.as_view(), name="pool_rules"),
    path("pool/assign/", pool_views.PoolAssignView.as_view(), name="pool_assign"),
    path("pool/<int:pk>/", pool_views.PoolDetailView.as_view(), name="pool_detail"),
    path("pool/<int:pk>/claim/", pool_views.PoolClaimView.as_view(), name="pool_claim"),
    path("<int:pk>/release/", pool_views.PoolReleaseView.as_view(), name="pool_release"),
    path("handover/", pool_views.StaffView.as_view(), name="handover_staff"),
    path("handover/<int:pk>/", pool_views.HandoverView.as_view(), name="handover"),
    path("handover/<int:pk>/done/", pool_views.HandoverDoneView.as_view(), name="handover_done"),
    path(
        "handover/<int:pk>/deactivate/",
        pool_views.DeactivateView.as_view(),
        name="handover_deactivate",
    ),
]
