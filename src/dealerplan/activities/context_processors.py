"""Template context shared by every page: the unread notification count for the top bar."""

from .calendar import unread_count


def unread_notifications(request):
    """``unread_notifications``: the signed-in user's unread count (one query; 0 if anonymous)."""
    return {"unread_notifications": unread_count(getattr(request, "user", None))}
