"""The week calendar, the calendar subscription page and feed, and the notifications page."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.request import split_domain_port
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from . import calendar


class WeekView(LoginRequiredMixin, TemplateView):
    """One week of a user's planned work and due follow-ups, Monday first."""

    template_name = "calendar/week.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, viewer = self.request, self.request.user
        subject = calendar.resolve_subject(viewer, request.GET.get("user"))
        now = timezone.now()
        today = timezone.localdate(now)
        week, error = calendar.resolve_week(
            week=request.GET.get("week"), date=request.GET.get("date"), today=today
        )
        if error:
            messages.warning(request, error)
        plan = calendar.week_plan(viewer=viewer, subject=subject, week=week, now=now)
        user_param = {} if subject == viewer else {"user": subject.pk}

        def week_url(target):
            return "?" + urlencode({"week": target.iso, **user_param})

        subjects = list(calendar.calendar_subjects(viewer)) if viewer.is_manager else []
        context.update(
            page_title=_("Calendar"),
            plan=plan,
            week=week,
            subject=subject,
            is_own=subject == viewer,
            subjects=subjects,
            today=today,
            is_this_week=today in week,
            previous_url=week_url(week.previous),
            next_url=week_url(week.next),
            this_week_url="?" + urlencode(user_param) if user_param else request.path,
            week_title=_("Week %(number)s, %(year)s") % {"number": week.number, "year": week.year},
        )
        return context


@require_safe
def feed(request, token):
    """The private .ics feed phone calendars subscribe to: the token is the only key."""
    user = calendar.feed_user(token)
    if user is None:
        raise Http404
    body = calendar.render_ics(
        user=user,
        activities=calendar.feed_activities(user),
        customer_url=lambda customer: request.build_absolute_uri(customer.get_absolute_url()),
        uid_domain=split_domain_port(request.get_host())[0] or "dealerplan",
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="dealerplan.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


class FeedSettingsView(LoginRequiredMixin, View):
    """Shows the user's subscription address; creates it on request and rotates it."""

    template_name = "calendar/feed_settings.html"

    def get(self, request):
        feed_obj = calendar.feed_of(request.user)
        context = {"page_title": _("Subscribe in your phone calendar"), "feed": feed_obj}
        if feed_obj is not None:
            url = request.build_absolute_uri(reverse("calendar:feed", args=[feed_obj.token]))
            context.update(
                feed_url=url,
                webcal_url="webcal://" + url.split("://", 1)[1],
                past_days=calendar.FEED_PAST_DAYS,
                future_days=calendar.FEED_FUTURE_DAYS,
            )
        return render(request, self.template_name, context)

    def post(self, request):
        action = request.POST.get("action")
        if action == "create":
            calendar.create_feed(request.user)
            messages.success(request, _("Your subscription address is ready."))
        elif action == "rotate":
            calendar.rotate_feed(request.user)
            messages.success(
                request,
                _(
                    "A new address was made; the old one no longer works. "
                    "Subscribe again on your phone with the new address."
                ),
            )
        else:
            messages.error(request, _("Unknown action."))
        return HttpResponseRedirect(reverse("calendar:feed_settings"))


class NotificationListView(LoginRequiredMixin, View):
    """The user's own notifications, newest first; "mark all read" and "mark read"."""

    template_name = "calendar/notifications.html"
    paginate_by = 20

    def get(self, request):
        paginator = Paginator(calendar.notifications_for(request.user), self.paginate_by)
        page = paginator.get_page(request.GET.get("page"))
        context = {
            "page_title": _("Notifications"),
            "page_obj": page,
            "notifications": page.object_list,
            "has_unread": any(n.read_at is None for n in page.object_list),
        }
        return render(request, self.template_name, context)

    def post(self, request):
        count = calendar.mark_all_read(request.user)
        if count:
            messages.success(request, _("All notifications are marked as read."))
        return HttpResponseRedirect(reverse("calendar:notifications"))


class NotificationReadView(LoginRequiredMixin, View):
    """POST: mark one of the user's notifications read and go to what it points at."""

    def post(self, request, pk):
        notification = calendar.mark_read(request.user, pk)
        target = request.POST.get("next") or notification.url
        if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("calendar:notifications")
        return HttpResponseRedirect(target)
