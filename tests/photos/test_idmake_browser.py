"""The ID-photo maker in a real headless Chromium, at desktop and phone widths."""

from __future__ import annotations

import pytest

from ..conftest import DATA

pytestmark = pytest.mark.django_db(transaction=True)

PHOTO = DATA / "idmake-inputs" / "half-body-3.jpg"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_person_makes_an_id_photo_with_its_sheet(
    live_server,
    with_worker,
    browser_session,  # noqa: F811
    tmp_path,
    width,
):
    def visit(browser):
        page = browser.new_page(viewport={"width": width, "height": 900}, locale="en-GB")
        page.goto(live_server.url + "/")
        page.click("nav >> text=ID photos")
        seen = {"capture": page.get_attribute("[data-upload]", "data-capture")}
        page.set_input_files("input[type=file]", str(PHOTO))
        # The list filters as one types, in either language.
        page.fill("#spec-filter", "学信")
        seen["chosen"] = page.eval_on_selector("select[name=spec]", "s => s.value")
        seen["shown"] = page.eval_on_selector_all(
            "select[name=spec] option", "os => os.filter(o => !o.hidden).length"
        )
        seen["colours"] = page.eval_on_selector_all(
            "#backgrounds label[data-colour]", "ls => ls.filter(l => !l.hidden).length"
        )
        page.check("#backgrounds input[value=blue]")
        page.select_option("select[name=paper]", "6inch")
        page.screenshot(path=str(tmp_path / f"idmake-form-{width}.png"), full_page=True)
        seen["form_scroll"] = page.evaluate("document.documentElement.scrollWidth")
        page.click("button[type=submit]")
        page.wait_for_url("**/r/**")
        page.wait_for_selector("#made-verdict", timeout=60_000)
        page.wait_for_function(
            "document.querySelector('#made-photo').naturalWidth > 0"
            " && document.querySelector('#made-sheet').naturalWidth > 0"
        )
        seen["photo_size"] = page.eval_on_selector(
            "#made-photo", "i => [i.naturalWidth, i.naturalHeight]"
        )
        seen["sheet_width"] = page.eval_on_selector("#made-sheet", "i => i.naturalWidth")
        seen["verdict"] = page.inner_text("#made-verdict")
        seen["check"] = page.locator("#verdict").count()
        seen["fixed"] = page.locator("#fixed li").count()
        seen["pdf"] = page.locator("a[href$='sheet.pdf']").count()
        seen["scroll"] = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(tmp_path / f"idmake-result-{width}.png"), full_page=True)
        pdf = page.request.get(page.url + "sheet.pdf")
        seen["pdf_type"] = pdf.headers["content-type"]
        return seen

    seen = with_worker(lambda: browser_session(visit), timeout=180)
    assert seen["capture"] == "user"
    assert seen["chosen"] == "cn_xuexin" and seen["shown"] == 1
    assert seen["colours"] == 3  # the document's colour, blue, white
    assert seen["photo_size"] == [480, 640]
    assert seen["sheet_width"] in (1200, 1800)
    assert "Ready to use" in seen["verdict"] or "Not ready yet" in seen["verdict"]
    assert seen["check"] == 1 and seen["fixed"] >= 2 and seen["pdf"] == 1
    assert seen["pdf_type"] == "application/pdf"
    assert seen["form_scroll"] <= width and seen["scroll"] <= width, "no sideways scroll"
    assert (tmp_path / f"idmake-result-{width}.png").stat().st_size > 10_000
