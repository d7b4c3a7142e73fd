"""factory_boy factories for every model; tests build data through these only."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from dealerplan.activities.choices import ActivityKind, ActivityStatus
from dealerplan.activities.models import Activity, TrafficEntry
from dealerplan.catalog.models import Brand, Color, Series, Trim
from dealerplan.core.choices import Role
from dealerplan.core.vin import build_vin
from dealerplan.customers.models import Contact, Customer
from dealerplan.deals.models import Deal, Pipeline, Stage
from dealerplan.inventory.models import Vehicle
from dealerplan.orders.models import Payment, SalesOrder
from dealerplan.org.models import Store, Team, User

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def vin_for(n: int) -> str:
    serial = f"{n:06d}"
    return build_vin("LFV", "2A21K", f"P{VIN_ALPHABET[n % 33]}{serial}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"store-{n}")
    name = factory.Sequence(lambda n: f"测试门店{n}")
    city = "北京"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"销售{n}组")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "王"
    first_name = factory.Sequence(lambda n: f"测{n}")
    store = factory.SubFactory(StoreFactory)
    role = Role.CONSULTANT
    password = factory.django.Password("test-password-123")


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = "一汽-大众"


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series
        django_get_or_create = ("brand", "name")

    brand = factory.SubFactory(BrandFactory)
    name = "速腾"


class TrimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trim

    series = factory.SubFactory(SeriesFactory)
    name = factory.Sequence(lambda n: f"200TSI 舒适型 {n}")
    model_year = 2026
    guide_price = Decimal("139900.00")


class ColorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Color
        django_get_or_create = ("brand", "name")

    brand = factory.SubFactory(BrandFactory)
    name = "极地白"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.LazyAttribute(lambda o: o.owner.store if o.owner else StoreFactory())
    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    intention_level = "B"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    store = factory.LazyAttribute(lambda o: o.customer.store)
    kind = ActivityKind.CALL
    status = ActivityStatus.DONE
    done_at = factory.LazyFunction(timezone.now)


class TrafficEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrafficEntry

    consultant = factory.SubFactory(UserFactory)
    store = factory.LazyAttribute(lambda o: o.consultant.store)
    arrived_at = factory.LazyFunction(timezone.now)


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"零售{n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"意向{n}")
    probability = 10


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    store = factory.LazyAttribute(lambda o: o.customer.store)
    pipeline = factory.SubFactory(PipelineFactory, store=factory.SelfAttribute("..store"))
    stage = factory.SubFactory(StageFactory, pipeline=factory.SelfAttribute("..pipeline"))
    title = factory.Sequence(lambda n: f"商机{n}")
    amount = Decimal("150000.00")


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    store = factory.SubFactory(StoreFactory)
    vin = factory.Sequence(vin_for)
    trim = factory.SubFactory(TrimFactory)
    color = factory.SubFactory(ColorFactory)
    arrival_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    cost = Decimal("120000.00")


class SalesOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrder

    customer = factory.SubFactory(CustomerFactory)
    consultant = factory.LazyAttribute(lambda o: o.customer.owner)
    store = factory.LazyAttribute(lambda o: o.customer.store)
    number = factory.Sequence(lambda n: f"SO-{n:05d}")
    trim = factory.SubFactory(TrimFactory)
    order_date = factory.LazyFunction(timezone.localdate)
    vehicle_price = Decimal("139900.00")
    discount = Decimal("5000.00")
    accessories_amount = Decimal("2000.00")
    total = factory.LazyAttribute(lambda o: o.vehicle_price - o.discount + o.accessories_amount)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(SalesOrderFactory)
    kind = "deposit"
    method = "wechat"
    amount = Decimal("5000.00")
    received_on = factory.LazyFunction(timezone.localdate)
