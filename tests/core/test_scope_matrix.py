"""Every scoped model × every persona × list, detail, create, edit, delete, export, API, history.

The registry below names each model's pages and API endpoint; a model that gains
``visible_to`` (or a page, or an endpoint) without a row here fails
``test_every_scoped_model_is_in_the_matrix``. Each cell builds three records (the consultant's,
a colleague's and another store's) and walks all nine personas through them: what a persona
may not see is a 404 or absent, what they may see opens.
"""

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.apps import apps
from django.forms import ModelChoiceField
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealerplan.activities.models import (
    ActivityQuota,
    CalendarFeed,
    DailyLog,
    FollowUpPolicy,
    LostRequest,
    Notification,
)
from dealerplan.core.models import (
    ExportJob,
    ExportLog,
    ExportPolicy,
    ExportRequest,
    PersonalDataRequest,
    PhoneReveal,
)
from dealerplan.customers.models import (
    CustomerAssignment,
    ImportJob,
    LevelChange,
    PoolRule,
    TierPolicy,
)
from dealerplan.deals.models import StageChange
from dealerplan.inventory.models import FactoryOrder, FactoryOrderLine, ReorderSettings
from dealerplan.orders.models import AccessoryLine
from dealerplan.planning.models import CapitalItem, PlanDocument, WorkdayOverride
from dealerplan.reports.models import WorkSummary
from tests.api.factories_api import PlanFactory, PlanLineFactory, api_client
from tests.factories import (
    ActivityFactory,
    BrandFactory,
    ColorFactory,
    ContactFactory,
    CustomerFactory,
    DealFactory,
    PaymentFactory,
    PipelineFactory,
    SalesOrderFactory,
    SeriesFactory,
    StageFactory,
    TeamFactory,
    TrafficEntryFactory,
    TrimFactory,
    VehicleFactory,
)

PERSONAS = (
    "consultant",
    "colleague",
    "showroom_manager",
    "sales_manager",
    "general_manager",
    "finance",
    "other_manager",
    "other_consultant",
    "group_manager",
)
CONSULTANT_ROLE = {"consultant", "colleague", "other_consultant"}
OTHER_STORE = {"other_manager", "other_consultant"}

#: owner: the owning consultant and their store's managers; store: everyone of the store;
#: shared: the whole group (the catalogue); self: only the user it belongs to.
OWNER, STORE, SHARED, SELF = "owner", "store", "shared", "self"


def first_choice(model, field_name):
    return model._meta.get_field(field_name).choices[0][0]


def today():
    return timezone.localdate()


def customer_of(user):
    return CustomerFactory(owner=user, store=user.store)


def document_of(user):
    return PlanDocument.objects.create(
        store=user.store,
        author=user,
        month=today().replace(day=1),
        kind=first_choice(PlanDocument, "kind"),
        title="月工作计划",
    )


def factory_order_of(user):
    return FactoryOrder.objects.create(
        store=user.store, week_start=today() - datetime.timedelta(days=today().weekday())
    )


def singleton(model, user, **extra):
    """One-per-store settings: the store may already have its row."""
    return model.objects.get_or_create(store=user.store, **extra)[0]


@dataclass(frozen=True)
class Cell:
    make: Callable  # make(user) -> a record belonging to ``user`` (or their store)
    scope: str
    list: str | None = None
    detail: tuple[str, ...] = ()
    add: str | None = None
    edit: str | None = None
    api: str | None = None


REGISTRY: dict[str, Cell] = {
    # core
    "core.ExportJob": Cell(
        lambda u: ExportJob.objects.create(user=u, path="/customers/", title="t", filename="f"),
        SELF,
        detail=("reports:export_job",),
    ),
    "core.ExportPolicy": Cell(
        lambda u: ExportPolicy.objects.create(
            store=u.store, role="consultant", list_name="customers:customer_list"
        ),
        STORE,
    ),
    "core.ExportRequest": Cell(
        lambda u: ExportRequest.objects.create(
            store=u.store, user=u, list_name="customers:customer_list", title="t", path="/"
        ),
        OWNER,
        detail=("exports:request",),
    ),
    "core.ExportLog": Cell(
        lambda u: ExportLog.objects.create(
            store=u.store, user=u, list_name="customers:customer_list"
        ),
        OWNER,
    ),
    "core.PhoneReveal": Cell(
        lambda u: PhoneReveal.objects.create(user=u, customer=customer_of(u)), OWNER
    ),
    "core.PersonalDataRequest": Cell(
        lambda u: PersonalDataRequest.objects.create(
            kind=first_choice(PersonalDataRequest, "kind"),
            customer=customer_of(u),
            store=u.store,
            by=u,
            reason="r",
        ),
        STORE,
    ),
    # org
    "org.Store": Cell(lambda u: u.store, STORE),
    "org.Team": Cell(lambda u: TeamFactory(store=u.store), STORE),
    "org.User": Cell(lambda u: u, STORE),
    # catalogue, shared by the group
    "catalog.Brand": Cell(lambda u: BrandFactory(), SHARED),
    "catalog.Series": Cell(lambda u: SeriesFactory(), SHARED),
    "catalog.Trim": Cell(lambda u: TrimFactory(), SHARED),
    "catalog.Color": Cell(lambda u: ColorFactory(), SHARED),
    # customers
    "customers.Customer": Cell(
        customer_of,
        OWNER,
        list="customers:customer_list",
        detail=("customers:customer_detail", "customers:customer_card"),
        add="customers:customer_add",
        edit="customers:customer_edit",
        api="customer",
    ),
    "customers.Contact": Cell(
        lambda u: ContactFactory(customer=customer_of(u)), OWNER, api="contact"
    ),
    "customers.TierPolicy": Cell(lambda u: singleton(TierPolicy, u), STORE),
    "customers.LevelChange": Cell(
        lambda u: LevelChange.objects.create(customer=customer_of(u), to_level="A"), OWNER
    ),
    "customers.ImportJob": Cell(
        lambda u: ImportJob.objects.create(
            store=u.store, user=u, original_filename="a.xlsx", file_type="xlsx"
        ),
        OWNER,
        detail=("customers:import_job",),
    ),
    "customers.PoolRule": Cell(lambda u: singleton(PoolRule, u), STORE),
    "customers.CustomerAssignment": Cell(
        lambda u: CustomerAssignment.objects.create(
            customer=customer_of(u), kind=first_choice(CustomerAssignment, "kind")
        ),
        OWNER,
    ),
    # activities
    "activities.Activity": Cell(
        lambda u: ActivityFactory(customer=customer_of(u)), OWNER, api="activity"
    ),
    "activities.TrafficEntry": Cell(
        lambda u: TrafficEntryFactory(consultant=u),
        OWNER,
        list="traffic:traffic_list",
        detail=("traffic:traffic_detail",),
        add="traffic:traffic_add",
        edit="traffic:traffic_edit",
        api="traffic-entry",
    ),
    "activities.FollowUpPolicy": Cell(lambda u: singleton(FollowUpPolicy, u), STORE),
    "activities.ActivityQuota": Cell(
        lambda u: singleton(ActivityQuota, u, role=first_choice(ActivityQuota, "role")), STORE
    ),
    "activities.CalendarFeed": Cell(
        lambda u: CalendarFeed.objects.create(user=u, token=f"token-{u.pk}"), OWNER
    ),
    "activities.Notification": Cell(
        lambda u: Notification.objects.create(store=u.store, user=u, title="提醒"), OWNER
    ),
    "activities.DailyLog": Cell(
        lambda u: DailyLog.objects.create(store=u.store, owner=u, date=today(), summary="s"),
        OWNER,
        detail=("activities:daily_log_detail",),
    ),
    "activities.LostRequest": Cell(
        lambda u: LostRequest.objects.create(
            store=u.store,
            customer=customer_of(u),
            requested_by=u,
            reason=first_choice(LostRequest, "reason"),
        ),
        OWNER,
    ),
    # deals
    "deals.Pipeline": Cell(lambda u: PipelineFactory(store=u.store), STORE),
    "deals.Stage": Cell(lambda u: StageFactory(pipeline=PipelineFactory(store=u.store)), STORE),
    "deals.Deal": Cell(
        lambda u: DealFactory(customer=customer_of(u)),
        OWNER,
        list="deals:deal_list",
        detail=("deals:deal_detail",),
        add="deals:deal_add",
        edit="deals:deal_edit",
        api="deal",
    ),
    "deals.StageChange": Cell(
        lambda u: (lambda d: StageChange.objects.create(deal=d, to_stage=d.stage))(
            DealFactory(customer=customer_of(u))
        ),
        OWNER,
    ),
    # inventory
    "inventory.Vehicle": Cell(
        lambda u: VehicleFactory(store=u.store),
        STORE,
        list="inventory:vehicle_list",
        detail=("inventory:vehicle_detail",),
        add="inventory:vehicle_add",
        edit="inventory:vehicle_edit",
        api="vehicle",
    ),
    "inventory.ReorderSettings": Cell(lambda u: singleton(ReorderSettings, u), STORE),
    "inventory.FactoryOrder": Cell(
        factory_order_of, STORE, list="reorder:list", detail=("reorder:detail",)
    ),
    "inventory.FactoryOrderLine": Cell(
        lambda u: FactoryOrderLine.objects.create(
            order=factory_order_of(u),
            trim=TrimFactory(),
            color=ColorFactory(),
            reason=first_choice(FactoryOrderLine, "reason"),
        ),
        STORE,
    ),
    # orders
    "orders.SalesOrder": Cell(
        lambda u: SalesOrderFactory(customer=customer_of(u)),
        OWNER,
        list="orders:order_list",
        detail=("orders:order_detail",),
        add="orders:order_add",
        edit="orders:order_edit",
        api="order",
    ),
    "orders.AccessoryLine": Cell(
        lambda u: AccessoryLine.objects.create(
            order=SalesOrderFactory(customer=customer_of(u)), name="脚垫", price=Decimal("300")
        ),
        OWNER,
    ),
    "orders.Payment": Cell(
        lambda u: PaymentFactory(order=SalesOrderFactory(customer=customer_of(u))),
        OWNER,
        api="payment",
    ),
    # planning
    "planning.Plan": Cell(
        lambda u: PlanFactory(consultant=u),
        OWNER,
        detail=("planning:plan_detail",),
        api="plan",
    ),
    "planning.PlanLine": Cell(lambda u: PlanLineFactory(plan=PlanFactory(consultant=u)), OWNER),
    "planning.WorkdayOverride": Cell(
        lambda u: WorkdayOverride.objects.create(store=u.store, date=today(), is_workday=True),
        STORE,
    ),
    "planning.PlanDocument": Cell(document_of, OWNER, detail=("planning:document_detail",)),
    "planning.CapitalItem": Cell(
        lambda u: CapitalItem.objects.create(
            document=document_of(u),
            kind=first_choice(CapitalItem, "kind"),
            label="展厅装修",
            amount=Decimal("1000"),
        ),
        OWNER,
    ),
    # reports
    "reports.WorkSummary": Cell(
        lambda u: WorkSummary.objects.create(store=u.store, user=u, year=today().year), OWNER
    ),
}


def scoped_models():
    return sorted(
        m._meta.label for m in apps.get_models() if hasattr(m._default_manager, "visible_to")
    )


def may_see(persona: str, owner: str, scope: str) -> bool:
    """The expected answer, written out by role, independent of the code under test."""
    if scope == SHARED:
        return True
    if scope == SELF:
        return persona == owner
    if persona == "group_manager":
        return True
    if (persona in OTHER_STORE) != (owner in OTHER_STORE):
        return False
    return scope == STORE or persona not in CONSULTANT_ROLE or persona == owner


@dataclass
class World:
    personas: object
    records: dict  # owner persona name -> record

    def user(self, name):
        return getattr(self.personas, name)

    def hidden_from(self, persona, scope):
        return [r for owner, r in self.records.items() if not may_see(persona, owner, scope)]

    def shown_to(self, persona, scope):
        return [r for owner, r in self.records.items() if may_see(persona, owner, scope)]


def build(personas, label) -> World:
    cell = REGISTRY[label]
    owners = ["consultant", "other_consultant"]
    if cell.scope in (OWNER, SELF):
        owners.insert(1, "colleague")
    return World(personas, {o: cell.make(getattr(personas, o)) for o in owners})


def _url_patterns(patterns=None, namespace=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _url_patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", p


def generic_pages() -> dict[str, str]:
    """URL name -> model label, for every class-based view declared on a scoped model."""
    found = {}
    for name, pattern in _url_patterns():
        view = getattr(pattern.callback, "view_class", None)
        model = getattr(view, "model", None)
        if model is not None and hasattr(model._default_manager, "visible_to"):
            found[name] = model._meta.label
    return found


def api_endpoints() -> dict[str, str]:
    from dealerplan.api.urls import router

    return {basename: vs.queryset.model._meta.label for _p, vs, basename in router.registry}


LABELS = sorted(REGISTRY)


def cells(*attrs):
    """The labels, with cells that have none of ``attrs`` skipped before any fixture runs."""

    def has(label):
        cell, model = REGISTRY[label], apps.get_model(label)
        return any(hasattr(model, "history") if a == "history" else getattr(cell, a) for a in attrs)

    return [
        pytest.param(label, marks=() if has(label) else pytest.mark.skip(reason="no page"))
        for label in LABELS
    ]


# -- the registry is complete -------------------------------------------------------------


def test_every_scoped_model_is_in_the_matrix():
    missing = sorted(set(scoped_models()) - set(REGISTRY))
    assert not missing, f"add these models to REGISTRY in {__file__}: {missing}"
    assert not sorted(set(REGISTRY) - set(scoped_models())), "REGISTRY names a removed model"


def test_every_page_and_endpoint_of_a_scoped_model_is_in_the_matrix():
    named = {
        name
        for cell in REGISTRY.values()
        for name in (cell.list, cell.add, cell.edit, *cell.detail)
        if name
    }
    # Pages on a customer that are actions (log, plan, pool) have their own scope tests.
    known_elsewhere = {"customers:pool", "deals:tracking"}
    pages = {n: m for n, m in generic_pages().items() if n not in known_elsewhere}
    assert not sorted(set(pages) - named)
    for basename, label in api_endpoints().items():
        assert REGISTRY[label].api == basename


# -- the matrix -----------------------------------------------------------------------------


def listed_pks(response) -> set:
    table = response.context.get("table")
    rows = table.data.data if table is not None else response.context["object_list"]
    return (
        set(rows.values_list("pk", flat=True))
        if hasattr(rows, "values_list")
        else {r.pk for r in rows}
    )


@pytest.mark.django_db
class TestScopeMatrix:
    @pytest.mark.parametrize("label", LABELS)
    def test_queryset(self, personas, label):
        world = build(personas, label)
        model = apps.get_model(label)
        for persona in PERSONAS:
            visible = set(
                model.objects.visible_to(world.user(persona)).values_list("pk", flat=True)
            )
            for owner, record in world.records.items():
                expected = may_see(persona, owner, REGISTRY[label].scope)
                assert (record.pk in visible) is expected, (persona, owner)

    @pytest.mark.parametrize("label", cells("list"))
    def test_list_and_export(self, personas, login, label):
        cell = REGISTRY[label]
        world = build(personas, label)
        for persona in PERSONAS:
            client = login(world.user(persona))
            response = client.get(reverse(cell.list))
            assert response.status_code in (200, 403), persona
            if response.status_code == 403:
                continue
            pks = listed_pks(response)
            for record in world.hidden_from(persona, cell.scope):
                assert record.pk not in pks, persona
            export = client.get(reverse(cell.list) + "?export=xlsx")
            # Exports are a permission: a refusal (403, or a redirect to ask for it) is fine.
            assert export.status_code in (200, 302, 403), persona
            if export.status_code != 200:
                continue
            content = b"".join(export.streaming_content)
            sheet = load_workbook(io.BytesIO(content), read_only=True).active
            assert (
                len(list(sheet.iter_rows(values_only=True))) - 1 == response.context["result_count"]
            ), persona

    @pytest.mark.parametrize("label", cells("detail", "history"))
    def test_detail_and_history(self, personas, login, label):
        cell = REGISTRY[label]
        model = apps.get_model(label)
        has_history = hasattr(model, "history")
        world = build(personas, label)
        meta = model._meta
        for persona in PERSONAS:
            client = login(world.user(persona))
            # A role refused the whole page (403 for any pk) learns nothing about the record.
            unknown = {n: client.get(reverse(n, args=[10**9])).status_code for n in cell.detail}
            for record in world.hidden_from(persona, cell.scope):
                for name in cell.detail:
                    status = client.get(reverse(name, args=[record.pk])).status_code
                    assert status in (404, unknown[name]), (persona, name, status)
                    assert status in (403, 404), (persona, name, status)
                if has_history:
                    url = reverse(
                        "history:object", args=[meta.app_label, meta.model_name, record.pk]
                    )
                    assert client.get(url).status_code == 404, persona
            for owner, record in world.records.items():
                if not may_see(persona, owner, cell.scope):
                    continue
                for name in cell.detail:
                    status = client.get(reverse(name, args=[record.pk])).status_code
                    if persona == owner or (cell.scope == STORE and persona in CONSULTANT_ROLE):
                        # Pages may be stricter than the scope (a step redirect, managers only),
                        # never looser; the record's own user always gets in.
                        assert status in (200, 302, unknown[name]), (persona, name, status)
                    else:
                        assert status in (200, 302, 403, 404), (persona, name, status)
                if has_history:
                    url = reverse(
                        "history:object", args=[meta.app_label, meta.model_name, record.pk]
                    )
                    assert client.get(url).status_code == 200, persona

    @pytest.mark.parametrize("label", cells("edit"))
    def test_edit(self, personas, login, label):
        cell = REGISTRY[label]
        world = build(personas, label)
        model = apps.get_model(label)
        for persona in PERSONAS:
            client = login(world.user(persona))
            unknown = client.get(reverse(cell.edit, args=[10**9])).status_code
            for record in world.hidden_from(persona, cell.scope):
                before = model.objects.filter(pk=record.pk).values().get()
                url = reverse(cell.edit, args=[record.pk])
                for response in (client.get(url), client.post(url, {})):
                    # 403 only when the role may edit nothing: it says nothing about the record.
                    assert response.status_code in (404, unknown), persona
                    assert response.status_code in (403, 404), persona
                assert model.objects.filter(pk=record.pk).values().get() == before

    @pytest.mark.parametrize("label", cells("add"))
    def test_create_offers_only_what_the_user_may_see(self, personas, login, label):
        cell = REGISTRY[label]
        world = build(personas, label)
        for persona in PERSONAS:
            user = world.user(persona)
            response = login(user).get(reverse(cell.add))
            assert response.status_code in (200, 403), persona
            if response.status_code == 403:
                continue
            for name, field in response.context["form"].fields.items():
                if not isinstance(field, ModelChoiceField):
                    continue
                related = field.queryset.model
                if not hasattr(related._default_manager, "visible_to"):
                    continue
                offered = set(field.queryset.values_list("pk", flat=True))
                allowed = set(related.objects.visible_to(user).values_list("pk", flat=True))
                assert offered <= allowed, (persona, name)

    @pytest.mark.parametrize("label", LABELS)
    def test_delete_has_no_page(self, label):
        model = apps.get_model(label)
        app, name = model._meta.app_label, model._meta.model_name
        for candidate in (f"{app}:{name}_delete", f"{app}:delete"):
            with pytest.raises(NoReverseMatch):
                reverse(candidate, args=[1])

    @pytest.mark.parametrize("label", cells("api"))
    def test_api(self, personas, label):
        cell = REGISTRY[label]
        world = build(personas, label)
        model = apps.get_model(label)
        for persona in PERSONAS:
            client = api_client(world.user(persona))
            listing = client.get(reverse(f"api:{cell.api}-list"))
            assert listing.status_code == 200, persona
            ids = {row["id"] for row in listing.json()["results"]}
            for record in world.hidden_from(persona, cell.scope):
                detail = reverse(f"api:{cell.api}-detail", args=[record.pk])
                assert record.pk not in ids, persona
                assert client.get(detail).status_code == 404, persona
                before = model.objects.filter(pk=record.pk).values().get()
                for response in (
                    client.patch(detail, {}, format="json"),
                    client.delete(detail),
                ):
                    assert response.status_code in (403, 404, 405), persona
                assert model.objects.filter(pk=record.pk).values().get() == before
            for record in world.shown_to(persona, cell.scope):
                assert record.pk in ids, persona
