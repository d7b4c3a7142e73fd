"""Customer search for pickers in forms: a few matches as JSON, within the user's scope."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import F
from django.http import JsonResponse
from django.views import View

from dealerplan.core.privacy import display_phone

from .models import Customer

#: At most this many matches; the picker asks the user to type more beyond it.
LIMIT = 20


def customer_detail(user, customer: Customer) -> str:
    """Phone (masked unless the user owns the card or manages the store), level and owner."""
    parts = [display_phone(user, customer), customer.intention_level]
    if customer.owner_id is not None and customer.owner_id != user.pk:
        parts.append(customer.owner.display_name)
    return " · ".join(part for part in parts if part)


class CustomerAutocompleteView(LoginRequiredMixin, View):
    """``?q=`` name, 4+ phone digits, pinyin (initials) or VIN; active customers the user sees.

    One query whatever the store's size: the best matches (most recently contacted first),
    at most :data:`LIMIT`, and whether there are more.
    """

    raise_exception = True  # a script asks; a login page would be no answer

    def get(self, request):
        query = request.GET.get("q", "").strip()[:100]
        rows = []
        if query:
            rows = list(
                Customer.objects.visible_to(request.user)
                .filter(is_archived=False)
                .search(query)
                .select_related("owner")
                .order_by(F("last_contact_at").desc(nulls_last=True), "-pk")[: LIMIT + 1]
            )
        results = [
            {"id": c.pk, "label": c.name, "detail": customer_detail(request.user, c)}
            for c in rows[:LIMIT]
        ]
        return JsonResponse({"results": results, "more": len(rows) > LIMIT})
