from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed (deposit paid)")
    ALLOCATED = "allocated", _("Vehicle allocated")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def active(cls) -> tuple[str, ...]:
        """Statuses in which an order holds its vehicle."""
        return (cls.DRAFT, cls.CONFIRMED, cls.ALLOCATED, cls.DELIVERED)


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    TRANSFER = "transfer", _("Bank transfer")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    LOAN = "loan", _("Car loan disbursement")


class PaymentKind(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    DOWN_PAYMENT = "down_payment", _("Down payment")
    BALANCE = "balance", _("Balance")
    LOAN = "loan", _("Loan disbursement")
    REFUND = "refund", _("Refund")


class FinancingKind(models.TextChoices):
    CASH = "cash", _("Full payment")
    LOAN = "loan", _("Car loan")


class LoanStatus(models.TextChoices):
    NONE = "", _("No loan")
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    DISBURSED = "disbursed", _("Disbursed")
    REJECTED = "rejected", _("Rejected")
