"""Admin that obeys the same scope as the UI: another store's record is a 404, not a peek."""

from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin


class ScopedAdmin(SimpleHistoryAdmin):
    """Staff managers see their store's rows; group-level staff see every store."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def _check_in_scope(self, request, object_id):
        if object_id is None:
            return
        try:
            found = self.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            found = False
        if not found:
            raise Http404

    # Staff managers work in the admin without per-model permission rows; deleting is for
    # superusers only, since the UI archives instead.
    def _is_staff_manager(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user.is_manager

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._is_staff_manager(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self._is_staff_manager(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or self._is_staff_manager(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or self._is_staff_manager(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A manager can only point a record at their own store's rows (store, owner, ...)."""
        related = db_field.remote_field.model
        if "queryset" not in kwargs and hasattr(related.objects, "visible_to"):
            kwargs["queryset"] = related.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._check_in_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._check_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._check_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
