from django.urls import path, re_path

from . import calendar_views as views

app_name = "calendar"

urlpatterns = [
    path("", views.WeekView.as_view(), name="week"),
    re_path(r"^feed/(?P<token>[A-Za-z0-9_-]{16,100})\.ics$", views.feed, name="feed"),
    path("subscribe/", views.FeedSettingsView.as_view(), name="feed_settings"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadView.as_view(),
        name="notification_read",
    ),
]
