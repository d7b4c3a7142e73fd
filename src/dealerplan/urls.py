from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from dealerplan.core.views import favicon, healthz
from dealerplan.org.views import home

admin.site.site_header = _("dealerplan administration")
admin.site.site_title = "dealerplan"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("dealerplan.customers.urls")),
    path("inventory/factory-orders/", include("dealerplan.inventory.reorder_urls")),
    path("inventory/", include("dealerplan.inventory.urls")),
    path("deals/", include("dealerplan.deals.urls")),
    path("plans/", include("dealerplan.planning.urls")),
    path("orders/finance/", include("dealerplan.orders.finance_urls")),
    path("orders/", include("dealerplan.orders.urls")),
    path("reports/", include("dealerplan.reports.urls")),
    path("", include("dealerplan.activities.urls")),
    path("traffic/", include("dealerplan.activities.traffic_urls")),
    path("calendar/", include("dealerplan.activities.calendar_urls")),
    path("exports/", include("dealerplan.core.privacy_urls")),
    path("api/", include("dealerplan.api.urls")),
    path("history/", include("dealerplan.core.history_urls")),
    path("admin/", admin.site.urls),
]
