"""The pages in a real headless Chromium, against a live server and a real worker."""

from __future__ import annotations

import pytest

from ..conftest import DATA

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_uploads_a_photo_and_shares_the_result(
    live_server, with_worker, browser_session, tmp_path
):
    def visit(browser):
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(live_server.url + "/")
        page.set_input_files("input[type=file]", str(DATA / "faces" / "two_people.jpg"))
        page.click("button[type=submit]")
        page.wait_for_url("**/r/**")
        # The page follows the job by itself until the points appear.
        page.wait_for_selector("svg.overlay circle", timeout=30_000)
        circles = page.locator("svg.overlay circle").count()
        page.uncheck("input[data-toggle=mouth]")
        hidden_mouths = page.locator('.grp.hidden[data-group="mouth"]').count()
        full_view = page.get_attribute("svg.overlay", "viewBox")
        page.click("#zoom")
        zoomed_view = page.get_attribute("svg.overlay", "viewBox")
        page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
        page.click("text=Make a share link")
        share_url = page.input_value("#share-url")

        other = browser.new_context().new_page()
        other.goto(share_url)
        shared_circles = other.locator("svg.overlay circle").count()
        shared_delete_buttons = other.locator("text=Delete photo").count()

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("text=Delete photo and result")
        page.wait_for_url(live_server.url + "/")
        other.goto(share_url)
        gone = other.locator("h1").inner_text()
        return (
            circles,
            hidden_mouths,
            shared_circles,
            shared_delete_buttons,
            gone,
            full_view,
            zoomed_view,
        )

    circles, hidden_mouths, shared_circles, shared_delete_buttons, gone, full_view, zoomed_view = (
        with_worker(lambda: browser_session(visit), timeout=120)
    )
    assert circles == 2 * 88
    assert hidden_mouths == 2
    assert full_view == "0 0 1126 661"
    zoom_width, zoom_height = map(float, zoomed_view.split()[2:])
    assert zoom_width * zoom_height < 0.8 * 1126 * 661
    assert shared_circles == 2 * 88
    assert shared_delete_buttons == 0
    assert gone == "This link does not work"
    assert (tmp_path / "result.png").stat().st_size > 10_000


def test_a_bad_file_gets_a_message_on_the_page(live_server, browser_session, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_bytes(b"these are not pixels" * 100)

    def visit(browser):
        page = browser.new_page()
        page.goto(live_server.url + "/")
        page.set_input_files("input[type=file]", str(bad))
        page.click("button[type=submit]")
        return page.locator("[role=alert]").inner_text()

    assert "The file is not an image." in browser_session(visit)
