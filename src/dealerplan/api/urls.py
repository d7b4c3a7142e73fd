"""The REST API: ``/api/v1/`` (one router for every app), ``/api/schema/`` (OpenAPI 3) and
``/api/docs/`` (Swagger UI, served from our own static files so it works on a closed intranet)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from dealerplan.activities.api import ActivityViewSet, TrafficEntryViewSet
from dealerplan.customers.api import ContactViewSet, CustomerViewSet
from dealerplan.deals.api import DealViewSet
from dealerplan.inventory.api import VehicleViewSet
from dealerplan.orders.api import OrderViewSet, PaymentViewSet
from dealerplan.planning.api import PlanViewSet

from .views import SwaggerView

app_name = "api"

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("activities", ActivityViewSet, basename="activity")
router.register("traffic-entries", TrafficEntryViewSet, basename="traffic-entry")
router.register("deals", DealViewSet, basename="deal")
router.register("vehicles", VehicleViewSet, basename="vehicle")
router.register("orders", OrderViewSet, basename="order")
router.register("payments", PaymentViewSet, basename="payment")
router.register("plans", PlanViewSet, basename="plan")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
]
