"""Every page in Chromium at a phone's and a desktop's size, axe-core on each (tests/browser.py).

Also the upload widget's ways in (a sample, a drop, a paste), its progress,
and a form error that keeps the chosen photo.
"""

from __future__ import annotations

from collections import Counter

import pytest

from ..browser import run_in_browser
from ..conftest import DATA
from ..factories import make_fusion_template

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture(autouse=True)
def _template(isolated: None) -> None:
    make_fusion_template()


def upload(page, url: str, photo: str, ready: str, choose: str = "") -> str:
    page.goto(url)
    if choose:
        page.check(choose)
    page.set_input_files("input[type=file]", str(photo))
    page.click("button[type=submit]")
    page.wait_for_url("**/r/**")
    page.wait_for_selector(ready, timeout=60_000, state="attached")
    return page.url


def share(page) -> str:
    if page.locator("text=Make a share link").count():
        page.click("text=Make a share link")
    return page.input_value("#share-url")


def walk(browser, base: str, size: dict, wide: dict | None = None) -> list[str]:
    """Open every page a visitor meets; return their addresses.

    With `wide`, record there each page wider than the window: {path: its width}.
    """
    page = browser.new_page(viewport=size)
    if wide is not None:

        def measure(frame) -> None:
            if frame == page.main_frame:
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > size["width"]:
                    wide[page.url] = width

        page.on("load", lambda _page: measure(page.main_frame))
    seen = [base + "/", base + "/idphoto/", base + "/idphoto/check/", base + "/fusion/"]
    seen.append(base + "/fusion/demo/astronaut/")
    for url in seen:
        page.goto(url)
    faces = DATA / "faces"
    seen.append(upload(page, base + "/", faces / "two_people.jpg", "svg.overlay circle"))
    seen.append(share(page))
    seen.append(
        upload(page, base + "/", faces / "obama.jpg", "svg.overlay polyline", "input[value=dense]")
    )
    blank = DATA.parent / "data" / "landmarks68" / "takeo.ppm"  # refused: a form error
    page.goto(base + "/")
    page.set_input_files("input[type=file]", str(blank))
    page.click("button[type=submit]")
    page.wait_for_selector(".error", timeout=30_000)
    seen.append(upload(page, base + "/idphoto/", DATA / "idphoto" / "hv1-small.jpg", "#verdict"))
    seen.append(share(page))
    seen.append(upload(page, base + "/fusion/demo/astronaut/", faces / "obama.jpg", "#fused-image"))
    seen.append(share(page))
    for url in seen[-1:]:
        page.goto(url)
    page.goto(base + "/s/no-such-link/")
    return seen


@pytest.mark.parametrize("size", SIZES)
def test_every_page_passes_axe_and_fits(live_server, with_worker, browser_session, size):
    wide: dict = {}
    seen = with_worker(
        lambda: browser_session(lambda b: walk(b, live_server.url, SIZES[size], wide)),
        timeout=240,
    )
    assert len(seen) >= 10
    assert wide == {}, "pages wider than the window (they scroll sideways)"


def test_axe_totals(live_server, with_worker, capsys):
    """Print how many violations of each impact axe finds on every page (for the report)."""
    _seen, checks = with_worker(
        lambda: run_in_browser(lambda b: walk(b, live_server.url, SIZES["phone"])), timeout=240
    )
    totals = Counter(v["impact"] for _path, found in checks.loads for v in found)
    rules = Counter(v["id"] for _path, found in checks.loads for v in found)
    with capsys.disabled():
        print(f"\naxe-core on {len(checks.loads)} page loads: {dict(totals)}; rules {dict(rules)}")
    assert len(checks.loads) >= 14  # every page was checked
    assert not totals["critical"] and not totals["serious"], checks.failures()


def test_the_upload_widget(live_server, with_worker, browser_session, tmp_path):
    def visit(browser):
        page = browser.new_page(viewport=SIZES["phone"])
        page.goto(live_server.url + "/idphoto/check/")
        seen = {"guide": page.locator("[data-upload][data-guide]").count()}
        # A sample photo: one press puts it in the form, with its preview.
        page.click("[data-sample] >> nth=0")
        page.wait_for_selector(".dropzone.has-file img[data-preview][src^=blob]")
        seen["sample"] = page.evaluate("document.querySelector('input[type=file]').files[0].name")
        # A photo dropped on the zone, and one pasted.
        data = (DATA / "faces" / "astronaut.png").read_bytes()
        for how in ("drop", "paste"):
            page.evaluate(
                """([bytes, how]) => {
                  const file = new File([new Uint8Array(bytes)], how + ".jpg", {type: "image/png"});
                  const list = new DataTransfer(); list.items.add(file);
                  if (how === "drop") {
                    document.querySelector("[data-upload]").dispatchEvent(
                      new DragEvent("drop", {dataTransfer: list, bubbles: true, cancelable: true}));
                  } else {
                    const event = new ClipboardEvent("paste", {clipboardData: list, bubbles: true});
                    document.dispatchEvent(event);
                  }
                }""",
                [list(data), how],
            )
            seen[how] = page.evaluate("document.querySelector('input[type=file]').files[0].name")
        # A form error (an unknown specification) keeps the photo: send again, it works.
        page.evaluate(
            "document.querySelector('select[name=spec]')"
            ".add(new Option('nope', 'nope', true, true))"
        )
        page.click("button[type=submit]")
        page.wait_for_selector("[role=alert]")
        seen["error"] = page.locator("[role=alert]").first.inner_text()
        seen["kept"] = page.evaluate(
            "document.querySelector('input[type=file]').files[0]?.name || ''"
        )
        seen["progress"] = page.evaluate("document.querySelector('form.upload').dataset.uploaded")
        page.select_option("select[name=spec]", "")
        page.click("button[type=submit]")
        page.wait_for_url("**/r/**")
        page.wait_for_selector("#verdict", timeout=60_000)
        page.screenshot(path=str(tmp_path / "id.png"), full_page=True)
        return seen

    seen = with_worker(lambda: browser_session(visit), timeout=180)
    assert seen["guide"] == 1
    assert seen["sample"] == "id-photo.jpg"
    assert seen["drop"] == "drop.jpg" and seen["paste"] == "paste.jpg"
    assert "nope" in seen["error"] or "valid choice" in seen["error"]
    assert seen["kept"] == "paste.jpg"
    assert seen["progress"] == "100"
