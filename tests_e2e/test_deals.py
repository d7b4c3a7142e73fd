"""The deal board: drag a card to the next stage, and the select + Move fallback."""

from playwright.sync_api import expect


def _open_stages(server) -> set[str]:
    rows = server.query("select id from deals_stage where not is_won and not is_lost")
    return {str(pk) for (pk,) in rows}


def _deal_stage(server, deal: str) -> str:
    return str(server.query("select stage_id from deals_deal where id = ?", (deal,))[0][0])


def test_a_deal_moves_on_the_board_by_drag_and_drop_and_by_the_stage_select(
    page, login, shot, server
):
    login("consultant01")
    page.goto("/deals/board/")
    columns = page.locator("section.board-column[data-stage]")
    expect(columns.first).to_be_visible()
    shot("board")

    open_stages = _open_stages(server)
    stages = [columns.nth(i).get_attribute("data-stage") for i in range(columns.count())]
    # A card in an open stage whose next column is open too (won/lost ask for more).
    source = next(
        i
        for i, stage in enumerate(stages[:-1])
        if stage in open_stages
        and stages[i + 1] in open_stages
        and columns.nth(i).locator("li.deal-card").count()
    )
    card = columns.nth(source).locator("li.deal-card").first
    deal = card.get_attribute("data-deal")
    target = columns.nth(source + 1)
    count_before = int(target.locator("[data-count]").inner_text())

    card.drag_to(target.locator("[data-cards]"))
    moved = target.locator(f"li.deal-card[data-deal='{deal}']")
    expect(moved).to_be_visible()
    expect(target.locator("[data-count]")).to_have_text(str(count_before + 1))
    expect(page.locator("#board-status")).not_to_be_empty()
    shot("dragged")
    page.reload()
    expect(target.locator(f"li.deal-card[data-deal='{deal}']")).to_be_visible()
    assert _deal_stage(server, deal) == stages[source + 1]
    shot("after-reload")

    # Without dragging (keyboard, phone): the card's own stage select and Move button.
    card = target.locator(f"li.deal-card[data-deal='{deal}']")
    card.locator("select[name=stage]").select_option(stages[source])
    shot("select-back")
    card.locator(".move-form button[type=submit]").click()
    expect(columns.nth(source).locator(f"li.deal-card[data-deal='{deal}']")).to_be_visible()
    assert _deal_stage(server, deal) == stages[source]
    shot("moved-back")
