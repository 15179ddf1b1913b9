"""Every page on phones (360 and 390 px) and a desktop (1280×800), in English and Chinese.

Nothing may scroll sideways; the header fits; the point overlays pan, zoom and answer taps.
Set LIKENESS_SHOTS to a folder to keep a screenshot of every page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.photos.models import Job

from ..conftest import DATA

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SHOTS = Path(os.environ["LIKENESS_SHOTS"]) if os.environ.get("LIKENESS_SHOTS") else None

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(client: Client, path: str, data: dict, photo: Path, name: str = "") -> None:
    file = SimpleUploadedFile(name or photo.name, photo.read_bytes())
    response = client.post(path, {"photo": file, **data})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def site(run_worker, settings):
    """A visitor with one finished job of every kind and one failed job; their pages' paths."""
    settings.PAGE_JOBS_PER_SESSION = settings.PAGE_JOBS_PER_ADDRESS = 10
    from ..factories import make_fusion_template

    template = make_fusion_template()
    client = Client()
    faces = DATA / "faces"
    _upload(client, "/upload", {"kind": "face_shape", "mode": 0}, faces / "two_people.jpg")
    _upload(client, "/upload", {"kind": "dense", "mode": 0}, faces / "obama.jpg")
    _upload(client, "/idphoto/upload", {"spec": ""}, DATA / "idphoto" / "hv1-base.jpg")
    _upload(
        client,
        template.get_absolute_url() + "fuse",
        {"shape": 80, "features": 80},
        faces / "obama.jpg",
    )
    whole = (faces / "obama.jpg").read_bytes()
    client.post(
        "/upload",
        {
            "photo": SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2]),
            "kind": "dense",
            "mode": 0,
        },
    )
    run_worker()
    jobs = {job.kind if job.status == "done" else "failed": job for job in Job.objects.all()}
    assert set(jobs) == {"face_shape", "dense", "id_check", "fusion", "failed"}, [
        (j.kind, j.status, j.error_message) for j in Job.objects.all()
    ]
    pages = {
        "index": "/",
        "idphoto": "/idphoto/",
        "gallery": "/fusion/",
        "template": template.get_absolute_url(),
        "bad-link": "/no/such/page",
        **{f"result-{kind}": job.get_absolute_url() for kind, job in jobs.items()},
        "shared-face_shape": jobs["face_shape"].get_share_url(),
        "shared-fusion": jobs["fusion"].get_share_url(),
    }
    return client.cookies["sessionid"].value, pages


@pytest.fixture
def browser():
    assert CHROMIUM, "Chromium is needed for the page tests: `make test` installs it"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _context(browser, live_server, session: str, language: str, viewport: dict, **kwargs):
    context = browser.new_context(viewport=viewport, **kwargs)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {"name": "sessionid", "value": session, "domain": host, "path": "/"},
            {"name": "django_language", "value": language, "domain": host, "path": "/"},
        ]
    )
    return context


OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .filter((e) => !e.closest("details:not([open])"))
    .slice(0, 5).map((e) => e.tagName + "." + e.className);
  return {scroll: document.scrollingElement.scrollWidth, width, wide};
}"""


@pytest.mark.parametrize(
    "viewport", [SMALL_PHONE, PHONE, DESKTOP], ids=["small-phone", "phone", "desktop"]
)
def test_no_page_scrolls_sideways_in_either_language(live_server, site, browser, viewport):
    session, pages = site
    failures = []
    for language in ("en", "zh-hans"):
        context = _context(browser, live_server, session, language, viewport)
        page = context.new_page()
        for name, path in pages.items():
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            measured = page.evaluate(OVERFLOW)
            if measured["scroll"] > measured["width"]:
                failures.append((language, name, measured))
            header = page.locator("header.top").bounding_box()
            if header["height"] > (80 if viewport is DESKTOP else 130):
                failures.append((language, name, f"header {header['height']} px tall"))
            if SHOTS:
                SHOTS.mkdir(parents=True, exist_ok=True)
                shot = SHOTS / f"{language}-{viewport['width']}-{name}.png"
                page.screenshot(path=str(shot), full_page=True)
        context.close()
    assert failures == []


POINTER = """([type, id, x, y]) => {
  const svg = document.querySelector("svg.overlay");
  svg.dispatchEvent(new PointerEvent(type, {
    pointerId: id, pointerType: "touch", isPrimary: id === 1, clientX: x, clientY: y,
    button: 0, buttons: type === "pointerup" ? 0 : 1, bubbles: true, cancelable: true,
  }));
}"""


NEAREST = """([x, y]) => {
  let best = null;
  for (const c of document.querySelectorAll("svg.overlay circle")) {
    const r = c.getBoundingClientRect();
    const d = Math.hypot(r.x + r.width / 2 - x, r.y + r.height / 2 - y);
    const title = c.querySelector("title").textContent;
    if (!best || d < best.distance) best = {distance: d, title};
  }
  return best;
}"""


def _view(page) -> list[float]:
    return [float(v) for v in page.get_attribute("svg.overlay", "viewBox").split()]


def test_a_finger_zooms_moves_and_names_the_points(live_server, site, browser):
    session, pages = site
    context = _context(browser, live_server, session, "zh-hans", PHONE, has_touch=True)
    page = context.new_page()
    page.goto(live_server.url + pages["result-face_shape"])
    full = _view(page)

    # A tap near a dot (not on it: dots are a few pixels wide) names it.
    dot = page.locator('svg.overlay .grp[data-group="nose"] circle').first
    box = dot.bounding_box()
    # However small the photo is shown, a dot stays visible: at least 3 screen pixels wide.
    assert 2.8 < box["width"] < 8
    tap = (box["x"] + box["width"] / 2 + 9, box["y"] + box["height"] / 2 + 6)
    page.touchscreen.tap(*tap)
    info = page.locator(".point-info")
    info.wait_for(state="visible", timeout=5000)
    named = info.inner_text()
    nearest = page.evaluate(NEAREST, list(tap))

    # Two fingers spread apart: the photo zooms in around them.
    stage = page.locator("svg.overlay").bounding_box()
    cx, cy = stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2
    page.evaluate(POINTER, ["pointerdown", 1, cx - 20, cy])
    page.evaluate(POINTER, ["pointerdown", 2, cx + 20, cy])
    for step in range(1, 6):
        page.evaluate(POINTER, ["pointermove", 1, cx - 20 - 12 * step, cy])
        page.evaluate(POINTER, ["pointermove", 2, cx + 20 + 12 * step, cy])
    page.evaluate(POINTER, ["pointerup", 1, cx - 80, cy])
    page.evaluate(POINTER, ["pointerup", 2, cx + 80, cy])
    pinched = _view(page)
    zoomed_class = page.get_attribute(".stage", "class")

    # One finger drags the zoomed photo.
    page.evaluate(POINTER, ["pointerdown", 3, cx, cy])
    page.evaluate(POINTER, ["pointermove", 3, cx + 60, cy + 30])
    page.evaluate(POINTER, ["pointerup", 3, cx + 60, cy + 30])
    dragged = _view(page)

    page.click("[data-zoom-step='0.625']")
    page.click("[data-zoom-step='0.625']")
    page.click("[data-zoom-step='0.625']")
    out = _view(page)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    context.close()

    assert box["width"] < 8  # too small to hit with a finger
    assert named == nearest["title"] and 2 < nearest["distance"] < 24
    assert 3.5 < full[2] / pinched[2] < 4.5  # the fingers went from 40 to 160 px apart
    assert abs(pinched[2] / pinched[3] - full[2] / full[3]) < 0.01  # the photo keeps its shape
    assert "zoomed" in zoomed_class
    assert dragged[0] < pinched[0] and dragged[1] < pinched[1]  # what was left comes into view
    assert dragged[2] == pinched[2]
    assert out == full  # never smaller than the whole photo
    assert width <= PHONE["width"]


def test_ctrl_and_the_wheel_zoom_on_a_desktop(live_server, site, browser):
    session, pages = site
    context = _context(browser, live_server, session, "en", DESKTOP)
    page = context.new_page()
    page.goto(live_server.url + pages["result-dense"])
    full = _view(page)
    stage = page.locator("svg.overlay").bounding_box()
    page.mouse.move(stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2)
    page.mouse.wheel(0, 300)  # without Ctrl the wheel scrolls the page, as everywhere
    unchanged = _view(page)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_timeout(100)
    zoomed = _view(page)
    page.click("[data-zoom-step='1.6']")
    stepped = _view(page)
    context.close()
    assert unchanged == full
    assert 2.5 < full[2] / zoomed[2] < 3.0  # e^(300/300)
    assert abs(zoomed[2] / stepped[2] - 1.6) < 0.01


def test_the_header_switch_turns_every_page_chinese_and_back(live_server, browser):
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + "/fusion/")
    before = page.locator("h1").inner_text()
    page.click("header form.lang button")
    page.wait_for_url(live_server.url + "/fusion/")
    after = page.locator("h1").inner_text()
    page.click("header nav >> text=证件照")
    other = page.locator("h1").inner_text()
    lang = page.get_attribute("html", "lang")
    page.click("header form.lang button")
    back = page.locator("h1").inner_text()
    context.close()
    assert (before, after, other, lang, back) == (
        "Face fusion",
        "人脸融合",
        "证件照制作",
        "zh-Hans",
        "ID photo maker",
    )
