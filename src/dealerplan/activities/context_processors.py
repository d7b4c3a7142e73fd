"""Template context shared by every page: the unread notification count for the top bar."""

from django.utils.functional import SimpleLazyObject

from .calendar import unread_count


def unread_notifications(request):
    """``unread_notifications``: the signed-in user's unread count.

    Lazy and remembered on the request: counted once, and only by a page that shows it, however
    many templates (table cells, includes) are rendered with the request's context.
    """
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = SimpleLazyObject(
            lambda: unread_count(getattr(request, "user", None))
        )
    return {"unread_notifications": request._unread_notifications}
