from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

from dealerplan.core.views import ObjectDetailView

from .cards import build_card, card_docx
from .models import Customer

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class CustomerCardView(ObjectDetailView):
    """The printable lead or owner card; ``?format=docx`` downloads it as a Word file."""

    model = Customer
    select_related = ("owner", "intended_trim__series")
    template_name = "customers/customer_card.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        self.card = build_card(request.user, self.object)
        if request.GET.get("format") == "docx":
            stamp = timezone.localdate().strftime("%Y%m%d")
            response = HttpResponse(card_docx(self.card), content_type=DOCX)
            filename = f"{self.card.title}-{self.object.name}-{stamp}.docx"
            response["Content-Disposition"] = _attachment(filename)
            return response
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(card=self.card, page_title=f"{self.card.title} · {self.object.name}")
        return context


def _attachment(filename: str) -> str:
    return f"attachment; filename=\"card.docx\"; filename*=UTF-8''{quote(filename)}"
