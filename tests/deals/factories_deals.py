"""Deals with the store's real default pipelines (ensure_default_pipelines)."""

from decimal import Decimal

from dealerplan.deals import services
from dealerplan.deals.models import Deal, Stage
from tests.factories import CustomerFactory


def default_stages(store) -> dict[str, Stage]:
    services.ensure_default_pipelines(store)
    return {
        stage.name: stage
        for stage in Stage.objects.filter(pipeline__store=store).select_related("pipeline")
    }


def make_deal(owner, stage_name="意向", *, amount=Decimal("150000.00"), customer=None, **extra):
    stage = default_stages(owner.store)[stage_name]
    customer = customer or CustomerFactory(owner=owner, store=owner.store)
    return Deal.objects.create(
        store=owner.store,
        customer=customer,
        owner=owner,
        pipeline=stage.pipeline,
        stage=stage,
        title=extra.pop("title", f"{customer.name} 商机"),
        amount=amount,
        **extra,
    )
