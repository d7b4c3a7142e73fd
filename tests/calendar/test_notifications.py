import copy
import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealerplan.activities.context_processors import unread_notifications
from dealerplan.activities.models import Notification
from tests.calendar.factories_calendar import NotificationFactory

PROCESSOR = "dealerplan.activities.context_processors.unread_notifications"


@pytest.fixture
def with_processor(settings):
    """Register the context processor the way settings.py will."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append(PROCESSOR)
    settings.TEMPLATES = templates


def unread_for(user) -> int:
    request = RequestFactory().get("/")
    request.user = user
    return unread_notifications(request)["unread_notifications"]


@pytest.mark.django_db
class TestUnreadCount:
    def test_anonymous_user_has_zero_without_a_query(self):
        request = RequestFactory().get("/")
        request.user = AnonymousUser()
        with CaptureQueriesContext(connection) as ctx:
            assert unread_notifications(request) == {"unread_notifications": 0}
        assert len(ctx.captured_queries) == 0

    def test_counts_only_the_users_unread_in_one_query(self, personas):
        NotificationFactory.create_batch(3, user=personas.consultant)
        NotificationFactory(user=personas.consultant, read_at=timezone.now())
        NotificationFactory.create_batch(2, user=personas.colleague)
        NotificationFactory(user=personas.sales_manager)
        with CaptureQueriesContext(connection) as ctx:
            assert unread_for(personas.consultant) == 3
        assert len(ctx.captured_queries) == 1
        assert unread_for(personas.sales_manager) == 1
        assert unread_for(personas.group_manager) == 0

    def test_count_appears_in_page_context(self, login, personas, with_processor):
        NotificationFactory.create_batch(2, user=personas.consultant)
        response = login(personas.consultant).get(reverse("calendar:notifications"))
        assert response.context["unread_notifications"] == 2


@pytest.mark.django_db
class TestNotificationPage:
    url = reverse("calendar:notifications")

    def test_anonymous_user_is_sent_to_login(self, client):
        assert client.get(self.url).status_code == 302

    def test_lists_own_notifications_newest_first(self, login, personas):
        now = timezone.now()
        NotificationFactory(
            user=personas.consultant, title="旧通知", created_at=now - datetime.timedelta(days=2)
        )
        NotificationFactory(user=personas.consultant, title="新通知", created_at=now)
        page = login(personas.consultant).get(self.url).text
        assert page.index("新通知") < page.index("旧通知")

    @pytest.mark.parametrize(
        ("viewer", "owner"),
        [
            ("consultant", "colleague"),
            ("sales_manager", "consultant"),  # a manager does not read a consultant's inbox
            ("consultant", "sales_manager"),
            ("group_manager", "consultant"),
            ("other_manager", "sales_manager"),
        ],
    )
    def test_another_users_notification_is_never_visible(self, login, personas, viewer, owner):
        theirs = NotificationFactory(user=getattr(personas, owner), title="别人的通知")
        client = login(getattr(personas, viewer))
        assert "别人的通知" not in client.get(self.url).text
        response = client.post(reverse("calendar:notification_read", args=[theirs.pk]))
        assert response.status_code == 404
        client.post(self.url)  # mark all read
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_mark_all_read_drops_the_count(self, login, personas, with_processor):
        NotificationFactory.create_batch(3, user=personas.consultant)
        client = login(personas.consultant)
        assert client.get(self.url).context["unread_notifications"] == 3
        response = client.post(self.url)
        assert response.status_code == 302
        assert not Notification.objects.filter(
            user=personas.consultant, read_at__isnull=True
        ).exists()
        page = client.get(self.url)
        assert page.context["unread_notifications"] == 0
        assert "全部标为已读" not in page.text

    def test_mark_one_read_goes_to_its_link(self, login, personas):
        note = NotificationFactory(user=personas.consultant, url="/calendar/")
        other = NotificationFactory(user=personas.consultant)
        response = login(personas.consultant).post(
            reverse("calendar:notification_read", args=[note.pk]), {"next": note.url}
        )
        assert response.status_code == 302 and response["Location"] == "/calendar/"
        note.refresh_from_db()
        other.refresh_from_db()
        assert note.read_at is not None and other.read_at is None
        assert unread_for(personas.consultant) == 1

    def test_link_to_another_site_is_not_followed(self, login, personas):
        note = NotificationFactory(user=personas.consultant)
        response = login(personas.consultant).post(
            reverse("calendar:notification_read", args=[note.pk]),
            {"next": "https://evil.example.com/"},
        )
        assert response["Location"] == self.url

    def test_pages_of_twenty(self, login, personas):
        now = timezone.now()
        for i in range(25):
            NotificationFactory(
                user=personas.consultant,
                title=f"第{i:02d}条",
                created_at=now - datetime.timedelta(minutes=i),
            )
        client = login(personas.consultant)
        first = client.get(self.url)
        assert len(first.context["notifications"]) == 20
        assert "第00条" in first.text and "第24条" not in first.text
        second = client.get(self.url, {"page": 2})
        assert len(second.context["notifications"]) == 5
        assert "第24条" in second.text

    def test_query_count_does_not_grow_with_notifications(self, login, personas):
        client = login(personas.consultant)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(self.url).status_code == 200
            return len(ctx.captured_queries)

        NotificationFactory.create_batch(2, user=personas.consultant)
        few = count_queries()
        NotificationFactory.create_batch(30, user=personas.consultant)
        assert count_queries() == few
