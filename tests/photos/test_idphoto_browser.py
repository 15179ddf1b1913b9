"""The ID-photo check in a real headless Chromium, against a live server and a real worker."""

from __future__ import annotations

import pytest

from ..conftest import DATA
from .test_browser import browser_session  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_checks_an_id_photo_and_reads_it_in_chinese(
    live_server,
    with_worker,
    browser_session,  # noqa: F811
    tmp_path,
):
    def visit(browser):
        page = browser.new_page(viewport={"width": 1200, "height": 1000}, locale="en-GB")
        page.goto(live_server.url + "/")
        page.click("nav >> text=ID photos")
        page.click("text=Only check it against a document's rules")
        page.set_input_files("input[type=file]", str(DATA / "idphoto" / "hv1-small.jpg"))
        page.select_option("select[name=spec]", "")
        page.click("button[type=submit]")
        page.wait_for_url("**/r/**")
        # The page follows the job by itself until the report appears.
        page.wait_for_selector("#verdict", timeout=30_000)
        seen = {
            "verdict": page.inner_text("#verdict"),
            "reason_en": page.locator("#reasons li >> nth=0").inner_text(),
            "failed_rows": page.locator("#figures tr.failed").count(),
            "svg_lines": page.locator("svg.idcheck-svg line").count(),
        }
        page.screenshot(path=str(tmp_path / "id-check-en.png"), full_page=True)
        page.click("[data-set-lang=zh]")
        seen["reason_zh"] = page.locator("#reasons li >> nth=0").inner_text()
        seen["url"] = page.url
        seen["english_visible"] = page.locator("#verdict .l-en").is_visible()
        page.uncheck("input[data-toggle=background]")
        seen["background_hidden"] = page.locator('.grp.hidden[data-group="background"]').count()
        page.screenshot(path=str(tmp_path / "id-check-zh.png"), full_page=True)
        page.reload()
        seen["after_reload"] = page.inner_text("#verdict")
        return seen

    seen = with_worker(lambda: browser_session(visit), timeout=120)
    assert "Failed: 1 reason." in seen["verdict"]
    assert "The face is too small." in seen["reason_en"] and "face_x_occupy" in seen["reason_en"]
    assert seen["failed_rows"] == 1
    assert seen["svg_lines"] >= 8
    assert "脸部太小" in seen["reason_zh"] and "The face is too small." not in seen["reason_zh"]
    assert seen["url"].endswith("?lang=zh")
    assert seen["english_visible"] is False
    assert seen["background_hidden"] == 1
    assert "不合格" in seen["after_reload"]
    assert (tmp_path / "id-check-en.png").stat().st_size > 10_000
    assert (tmp_path / "id-check-zh.png").stat().st_size > 10_000
