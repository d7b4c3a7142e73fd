"""Orders ready for each step: allocated and invoiced, paid, with a ticked checklist."""

import datetime
from decimal import Decimal

from dealerplan.orders.models import CHECKLIST_FIELDS
from tests.factories import CustomerFactory, SalesOrderFactory, TrimFactory, VehicleFactory

DAY = datetime.date(2026, 11, 20)
ALL_TICKED = dict.fromkeys(CHECKLIST_FIELDS, True)


def order_for(owner, *, total="100000.00", trim=None, **extra):
    """A draft order of ``owner``'s customer with no discount and no accessories."""
    return SalesOrderFactory(
        customer=CustomerFactory(owner=owner),
        trim=trim or TrimFactory(),
        vehicle_price=Decimal(total),
        discount=Decimal("0"),
        accessories_amount=Decimal("0"),
        total=Decimal(total),
        **extra,
    )


def allocated_order(owner, *, total="100000.00", cost="90000.00", **extra):
    """An order with its car reserved and an invoice: delivery waits for money and checklist."""
    trim = TrimFactory()
    car = VehicleFactory(store=owner.store, trim=trim, status="reserved", cost=Decimal(cost))
    defaults = {
        "vehicle": car,
        "status": "allocated",
        "invoice_number": "FP0001",
        "invoice_date": DAY,
        "invoice_amount": Decimal(total),
    }
    return order_for(owner, total=total, trim=trim, **{**defaults, **extra})
