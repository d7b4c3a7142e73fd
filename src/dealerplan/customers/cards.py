"""The two customer cards of 三表两卡: the lead card (意向客户管理卡, opened at level B or
above) and the owner card (保有客户管理卡, from delivery on), as a page and as a Word file."""

import io
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from dealerplan.activities.choices import ActivityStatus
from dealerplan.activities.models import Activity
from dealerplan.core.privacy import display_phone
from dealerplan.core.templatetags.dealerplan import money
from dealerplan.orders.choices import OrderStatus
from dealerplan.orders.models import SalesOrder

from .choices import IntentionLevel
from .models import Customer

CARD_LEVELS = ("H", "A", "B", "O")
HISTORY_LIMIT = 200


@dataclass
class Card:
    customer: Customer
    is_owner_card: bool
    fields: list[tuple[str, str]]
    history: list = field(default_factory=list)
    purchases: list = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("Owner card") if self.is_owner_card else _("Lead card")

    @property
    def opened(self) -> bool:
        """A lead card opens at level B or above; owners always have their card."""
        return self.is_owner_card or self.customer.intention_level in CARD_LEVELS


def build_card(user, customer: Customer) -> Card:
    is_owner = customer.intention_level == IntentionLevel.D
    fields = [
        (_("Name"), customer.name),
        (_("Phone"), display_phone(user, customer)),
        (_("WeChat ID"), customer.wechat or "—"),
        (_("Type"), customer.get_kind_display()),
        (_("District"), customer.district or "—"),
        (_("Address"), customer.address or "—"),
        (_("Source channel"), customer.get_source_display()),
        (_("Intention level"), customer.get_intention_level_display()),
        (_("Account tier"), customer.get_account_tier_display()),
        (_("Intended trim"), str(customer.intended_trim or "—")),
        (_("Budget"), money(customer.budget)),
        (_("Owner"), customer.owner.display_name if customer.owner else _("Public pool")),
        (_("Card opened"), f"{timezone.localtime(customer.created_at):%Y-%m-%d}"),
    ]
    history = list(
        Activity.objects.visible_to(user)
        .filter(customer=customer, status=ActivityStatus.DONE)
        .select_related("owner")
        .order_by("done_at")[:HISTORY_LIMIT]
    )
    purchases = list(
        SalesOrder.objects.visible_to(user)
        .filter(customer=customer)
        .exclude(status=OrderStatus.CANCELLED)
        .select_related("trim__series", "color", "vehicle")
        .order_by("order_date")
    )
    return Card(customer, is_owner, fields, history, purchases)


def card_docx(card: Card) -> bytes:
    """A Word version for the paper folder, with the same content as the page."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Microsoft YaHei"
    style.font.size = Pt(10)
    heading = doc.add_heading(f"{card.title} · {card.customer.name}", level=1)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER

    table = doc.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    for index in range(0, len(card.fields), 2):
        cells = table.add_row().cells
        for offset, (label, value) in enumerate(card.fields[index : index + 2]):
            cells[offset * 2].text = str(label)
            cells[offset * 2 + 1].text = str(value)

    if card.purchases:
        doc.add_heading(_("Purchases"), level=2)
        rows = doc.add_table(rows=1, cols=5)
        rows.style = "Table Grid"
        for cell, title in zip(
            rows.rows[0].cells,
            (_("Order number"), _("Trim"), _("Colour"), _("VIN"), _("Delivery date")),
            strict=True,
        ):
            cell.text = str(title)
        for order in card.purchases:
            cells = rows.add_row().cells
            cells[0].text = order.number
            cells[1].text = str(order.trim)
            cells[2].text = str(order.color or "—")
            cells[3].text = order.vehicle.vin if order.vehicle else "—"
            cells[4].text = f"{order.delivery_date:%Y-%m-%d}" if order.delivery_date else "—"

    doc.add_heading(_("Follow-up record"), level=2)
    record = doc.add_table(rows=1, cols=5)
    record.style = "Table Grid"
    for cell, title in zip(
        record.rows[0].cells,
        (_("Date"), _("Type"), _("Content"), _("Outcome"), _("Next step")),
        strict=True,
    ):
        cell.text = str(title)
    for activity in card.history:
        cells = record.add_row().cells
        cells[0].text = f"{timezone.localtime(activity.done_at):%Y-%m-%d %H:%M}"
        cells[1].text = activity.get_kind_display()
        cells[2].text = activity.notes
        cells[3].text = activity.get_outcome_display() if activity.outcome else ""
        cells[4].text = activity.next_step
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
