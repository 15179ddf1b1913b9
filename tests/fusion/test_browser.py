"""Face fusion in a real headless Chromium, against a live server and a real worker."""

from __future__ import annotations

import pytest

from ..conftest import DATA

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_fuses_their_face_and_shares_it(
    live_server,
    template,
    with_worker,
    browser_session,
    tmp_path,
):
    template.shape_degree = 70
    template.save()

    def loaded(page, selector: str) -> int:
        page.wait_for_function(f"document.querySelector('{selector}').complete")
        return page.eval_on_selector(selector, "img => img.naturalWidth")

    def visit(browser):
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(live_server.url + "/")
        page.click("nav >> text=Face fusion")
        page.click("ul.gallery >> text=Astronaut")
        # The slider's readout is kept by the page's script: wait until it has run.
        page.wait_for_load_state("load")
        prefilled = page.input_value("#id_shape")
        page.fill("#id_features", "80")
        shown = page.inner_text("output[data-output-of=id_features]")
        page.set_input_files("input[type=file]", str(DATA / "faces" / "obama.jpg"))
        page.click("button[type=submit]")
        page.wait_for_url("**/r/**")
        page.wait_for_selector("#fused-image", timeout=30_000)
        widths = loaded(page, "#fused-image"), loaded(page, "img.before")
        page.fill("#compare", "20")
        page.focus("#compare")
        page.keyboard.press("ArrowRight")
        position = page.eval_on_selector(
            "#compare-view", "el => el.style.getPropertyValue('--pos')"
        )
        clip = page.eval_on_selector("img.before", "img => getComputedStyle(img).clipPath")
        page.screenshot(path=str(tmp_path / "fusion.png"), full_page=True)
        page.click("text=Make a share link")
        share_url = page.input_value("#share-url")

        other = browser.new_context().new_page()
        other.goto(share_url)
        other.wait_for_selector("#fused-image")
        shared_width = loaded(other, "#fused-image")
        return (
            prefilled,
            shown,
            widths,
            position,
            clip,
            shared_width,
            other.locator("text=Delete photo").count(),
        )

    prefilled, shown, widths, position, clip, shared_width, delete_buttons = with_worker(
        lambda: browser_session(visit), timeout=120
    )
    assert prefilled == "70"
    assert shown == "80"
    assert widths == (512, 512)
    assert position == "21%"
    assert clip == "inset(0px 79% 0px 0px)"
    assert shared_width == 512
    assert delete_buttons == 0
    assert (tmp_path / "fusion.png").stat().st_size > 10_000
