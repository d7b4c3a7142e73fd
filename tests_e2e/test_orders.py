"""An order from a customer's page, then a car from stock allocated to it."""

import re

from playwright.sync_api import expect

# A trim of the consultant's store with a car in stock (or on the way) that no open order holds.
ALLOCATABLE_TRIM = """
    select v.trim_id, v.vin from inventory_vehicle v
    join org_user u on u.store_id = v.store_id and u.username = ?
    where v.status in ('in_stock', 'in_transit') and not v.is_archived
      and not exists (select 1 from orders_salesorder o
                      where o.vehicle_id = v.id and o.status != 'cancelled')
    order by v.id limit 1
"""


def test_an_order_is_created_from_a_customer_and_gets_a_vehicle(page, login, shot, server):
    trim, vin = server.query(ALLOCATABLE_TRIM, ("consultant01",))[0]
    login("consultant01")
    page.goto("/customers/")
    link = page.locator("table tbody tr").first.locator("td a").first
    name = link.inner_text().strip()
    link.click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.locator("h1")).to_contain_text(name)
    shot("customer")

    page.locator("a[href*='/orders/add/?customer=']").click()
    form = page.locator("form:has(select[name=trim])")
    expect(form).to_be_visible()
    expect(page.locator("main")).to_contain_text(name)
    form.locator("select[name=trim]").select_option(str(trim))
    form.locator("input[name=vehicle_price]").fill("189900.00")
    form.locator("input[name=discount]").fill("8000.00")
    shot("order-form")

    form.locator("button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/$"))
    expect(page.locator("main")).to_contain_text("¥181,900.00")  # total: price less discount
    shot("order-created")

    allocate = page.locator("form[action$='/allocate/']")
    vehicles = allocate.locator("select[name=vehicle]")
    vehicles.select_option(vehicles.locator("option", has_text=vin).get_attribute("value"))
    allocate.locator("button[type=submit]").click()
    expect(page.locator("#messages .alert")).to_be_visible()
    expect(page.locator(f"a:text-is('{vin}')")).to_be_visible()
    expect(page.locator("form[action$='/allocate/']")).to_have_count(0)
    shot("vehicle-allocated")
    order = re.search(r"/orders/(\d+)/", page.url).group(1)
    assert server.query(
        "select o.status, v.vin from orders_salesorder o join inventory_vehicle v"
        " on v.id = o.vehicle_id where o.id = ?",
        (order,),
    ) == [("allocated", vin)]
