"""The ID-photo check in a real headless Chromium, against a live server and a real worker.

A person checks four photos (one that passes, a group photo, a turned head, a photo
with no face) and reads each report on a desktop in English and on a phone in Chinese.
Set ``ID_CHECK_SHOTS`` to a folder to keep the screenshots.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from ..conftest import DATA

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
#: Latin words a Chinese report may show: file formats and units (the folded table's figure
#: names are the API's field names and are left out of the check).
LATIN_IN_CHINESE = {"KB", "JPG", "PNG", "WEBP", "BMP"}

#: Whatever in the report lies beyond the viewport's right edge (0 when nothing does).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  let worst = 0;
  for (const el of document.querySelectorAll('.idcheck, .idcheck *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right - width > worst) worst = box.right - width;
  }
  return worst;
}"""


def _read(page) -> dict:
    """What a person sees in the report, with every fold opened."""
    for summary in page.locator(".idcheck details summary").all():
        summary.click()
    return {
        "verdict": page.inner_text("#verdict"),
        "verdict_class": page.get_attribute("#verdict", "class"),
        "fixes": page.eval_on_selector_all(
            "#reasons li.fix", "els => els.map(e => e.dataset.code)"
        ),
        "first_fix": page.locator("#reasons li.fix").first.inner_text()
        if page.locator("#reasons li.fix").count()
        else "",
        "words": page.eval_on_selector(
            ".idcheck",
            "el => { const c = el.cloneNode(true);"
            " c.querySelectorAll('table.figures code').forEach(x => x.remove());"
            " return c.innerText; }",
        ),
        "layers_shown": page.locator("svg.idcheck-svg .grp:not(.hidden)").count(),
        "overflow": page.evaluate(OVERFLOW_JS),
        "illustrations": page.locator("#reasons svg.illustration").count(),
        "figure_rows": page.locator("#figures tbody tr").count(),
    }


def test_a_person_reads_the_verdict_on_a_desktop_and_a_phone_in_both_languages(
    live_server,
    with_worker,
    browser_session,
    tmp_path,
):
    blank = tmp_path / "blank.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (480, 640), (236, 236, 236)).save(buffer, "JPEG")
    blank.write_bytes(buffer.getvalue())
    photos = {
        "pass": DATA / "idphoto" / "hv1-base.jpg",
        "group": DATA / "idphoto" / "real-two-faces.jpg",
        "turned": DATA / "idphoto" / "real-walter-glasses.jpg",
        "no_face": blank,
    }

    def visit(browser):
        context = browser.new_context(viewport=SIZES["desktop"], locale="en-GB")
        page = context.new_page()
        urls, seen = {}, {}
        for name, path in photos.items():
            page.goto(live_server.url + "/idphoto/check/")
            page.set_input_files("input[type=file]", str(path))
            page.select_option("select[name=spec]", "")
            page.click("button[type=submit]")
            page.wait_for_url("**/r/**")
            page.wait_for_selector("#verdict", timeout=60_000)
            urls[name] = page.url
        for lang in ("en", "zh"):
            context.add_cookies(
                [
                    {
                        "name": "django_language",
                        "value": "zh-hans" if lang == "zh" else "en",
                        "url": live_server.url,
                    }
                ]
            )
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                for name, url in urls.items():
                    page.goto(url)
                    page.wait_for_selector("#verdict")
                    seen[name, lang, size] = _read(page)
                    page.screenshot(
                        path=str(tmp_path / f"{name}-{lang}-{size}.png"), full_page=True
                    )
        # The overlay's layers: one on at first, a tick shows another.
        page.set_viewport_size(SIZES["phone"])
        page.goto(urls["turned"])
        page.check("input[data-toggle=background]")
        seen["background_toggled"] = page.locator(
            '.grp:not(.hidden)[data-group="background"] path.mask'
        ).count()
        page.locator("svg.idcheck-svg").screenshot(path=str(tmp_path / "turned-background.png"))
        return seen

    seen = with_worker(lambda: browser_session(visit), timeout=240)
    keep = os.environ.get("ID_CHECK_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in tmp_path.glob("*.png"):
            shutil.copy(shot, keep)

    for (name, lang, size), got in ((k, v) for k, v in seen.items() if isinstance(k, tuple)):
        where = f"{name} {lang} {size}"
        assert got["overflow"] <= 1, f"{where}: the report runs {got['overflow']} px off screen"
        assert len(got["fixes"]) <= 3, where
        words = got["words"]
        if lang == "zh":
            latin = set(re.findall(r"[A-Za-z]{2,}", words)) - LATIN_IN_CHINESE
            assert not latin, f"{where}: English in the Chinese report: {latin}"
        else:
            assert not re.search(r"[\u4e00-\u9fff]", words), f"{where}: Chinese in English"
        if name == "no_face":
            assert "fail" in got["verdict_class"] and got["fixes"] == [], where
            assert ("No face was found" if lang == "en" else "图片中找不到人脸") in got["verdict"]
            assert ("Use a photo where your face" if lang == "en" else "请使用脸部") in words
            continue
        assert got["layers_shown"] == 1, f"{where}: one overlay layer at first"
        assert got["figure_rows"] > 20, where
        if name == "pass":
            assert "pass" in got["verdict_class"] and got["fixes"] == [], where
            assert ("Ready to use" if lang == "en" else "合格") in got["verdict"]
        elif name == "group":
            assert got["fixes"] == ["multiple_faces"], where
            assert ("one person" if lang == "en" else "只有一个人") in got["first_fix"]
            assert got["illustrations"] == 1, where
        else:
            assert got["fixes"][0] == "head_turned" and "nose_occluded" not in got["fixes"]
            assert ("Face the camera" if lang == "en" else "请正对镜头") in got["first_fix"]
            assert "°" in got["first_fix"], where
    assert seen["background_toggled"] == 1
    for shot in tmp_path.glob("*.png"):
        assert shot.stat().st_size > 5_000, shot
