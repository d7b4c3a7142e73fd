"""Idle and absolute session expiry.

A showroom PC is shared and phones get lost: a login ends after ``SESSION_IDLE_TIMEOUT_MINUTES``
without a request, and in any case ``SESSION_MAX_AGE_HOURS`` after signing in. Both times are
kept in the session itself, so every worker process agrees on them.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

LOGIN_AT = "_dealerplan_login_at"
LAST_SEEN = "_dealerplan_last_seen"
#: Last activity is written at most this often (seconds), so a page full of htmx requests
#: does not rewrite the session row on every one of them.
TOUCH_EVERY = 60


def _now() -> float:
    return timezone.now().timestamp()


@receiver(user_logged_in, dispatch_uid="dealerplan_session_login_time")
def remember_login_time(sender, request, user, **kwargs):
    """Every sign-in starts both clocks afresh, also when the session key is kept."""
    if request is not None and hasattr(request, "session"):
        now = _now()
        request.session[LOGIN_AT] = now
        request.session[LAST_SEEN] = now


def session_expired(session, now: float) -> bool:
    """True when the session has been idle too long or is older than the absolute limit."""
    login_at = session.get(LOGIN_AT)
    last_seen = session.get(LAST_SEEN)
    idle = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    max_age = settings.SESSION_MAX_AGE_HOURS * 3600
    if last_seen is not None and idle > 0 and now - last_seen > idle:
        return True
    return login_at is not None and max_age > 0 and now - login_at > max_age


class SessionTimeoutMiddleware:
    """Signs out an expired session and sends the user to the login page with a message.

    Sits after the authentication and message middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        now = _now()
        session = request.session
        if session_expired(session, now):
            return self.expire(request)
        if LOGIN_AT not in session:
            session[LOGIN_AT] = now
        last_seen = session.get(LAST_SEEN)
        if last_seen is None or now - last_seen >= TOUCH_EVERY:
            session[LAST_SEEN] = now
        return self.get_response(request)

    def expire(self, request):
        path = request.get_full_path() if request.method == "GET" else request.path
        logout(request)
        messages.warning(request, _("Your session has timed out. Please sign in again."))
        if request.path.startswith("/api/"):
            # API callers need a status, not a login page.
            messages.get_messages(request).used = True
            return JsonResponse(
                {"detail": _("Your session has timed out. Please sign in again.")}, status=401
            )
        redirect = redirect_to_login(path)
        if request.headers.get("HX-Request") == "true":
            # A fragment swap would put the login page inside the page: load it whole instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect.url
            return response
        return redirect
