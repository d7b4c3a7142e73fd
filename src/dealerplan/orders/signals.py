"""A completed order can move its customer up a tier at once, not only in the nightly run."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .choices import OrderStatus
from .models import SalesOrder


@receiver(post_save, sender=SalesOrder, dispatch_uid="orders.refresh_customer_tier")
def refresh_customer_tier(sender, instance: SalesOrder, raw=False, **kwargs):
    if raw or instance.status != OrderStatus.DELIVERED:
        return
    from dealerplan.customers.services import recompute_tiers

    transaction.on_commit(
        lambda: recompute_tiers(instance.store, customer_ids=[instance.customer_id])
    )
