"""Factories for calendar feeds and notifications (shared ones: tests/factories.py)."""

import factory

from dealerplan.activities.calendar import new_token
from dealerplan.activities.models import CalendarFeed, Notification
from tests.factories import UserFactory


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    user = factory.SubFactory(UserFactory)
    token = factory.LazyFunction(new_token)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    store = factory.LazyAttribute(lambda o: o.user.store)
    kind = "message"
    title = factory.Sequence(lambda n: f"通知{n}")
    body = "内容"
