"""Upload to result shown, as a person feels it, in a real Chromium against `manage.py serve`.

For each run: a new visitor opens the points page, chooses a 512x512 photo and
presses the button; the clock stops when the points are drawn on the result
page. The job's own time (its worker's start to finish, from the database) is
subtracted: what is left is what the page adds (upload, redirect, waiting to
hear the job is done, the result page).

With `--before COMMIT`, the app as it was at that commit (unpacked with `git
archive` into a temporary folder) runs next to this one and both are measured
in the same run, runs interleaved, so that the machine's load falls on both
alike. Medians of `--runs` runs each. Target: overhead <= 0.6 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .common import ROOT, machine_line, photo_path, verdict
from .load import App, _become_subreaper, _kill_everything_started

TARGET_OVERHEAD = 0.6
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class AppAt(App):
    """The app of another source folder (an older commit), run as `App` runs this one."""

    def __init__(self, root: Path, data_dir: Path) -> None:
        super().__init__(data_dir, workers=1)
        self.root = root

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, str(self.root / "manage.py"), *args],
            env=self.env,
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def start(self) -> None:
        self.starts += 1
        log = open(self.data_dir / f"serve-{self.starts}.log", "wb")  # noqa: SIM115
        self.serve = subprocess.Popen(
            [sys.executable, str(self.root / "manage.py"), "serve"],
            env=self.env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()


def prepared(app: App, tmp: Path) -> App:
    app.env["STATIC_ROOT"] = str(tmp / "static")
    app.manage("migrate", "--noinput", "-v0")
    app.manage("collectstatic", "--noinput", "-v0")
    app.start()
    app.wait_until_up()
    return app


def one_run(browser, app: App) -> tuple[float, float]:
    """Return (seconds from the click to the points shown, the job's own seconds)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(app.base + "/")
    page.set_input_files("input[type=file]", str(photo_path("astronaut.png")))
    start = time.time()
    page.click("button[type=submit]")
    try:
        page.wait_for_selector("svg.overlay circle", timeout=60_000, state="attached")
    except Exception:
        print(page.url, page.content()[:3000], app.log_tail())
        raise
    shown = time.time()
    job_id = page.url.rstrip("/").split("/")[-1]
    context.close()
    status, _code, _source, _created, started, finished = app.jobs([job_id])[job_id]
    assert status == "done", status
    run = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    return shown - start, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--before", default="", help="a commit whose result page script to compare")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("Chromium is needed (make test installs it)")
        return 1
    print(f"Upload to result shown, on {machine_line()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    _become_subreaper()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="likeness-bench-") as tmp:
        apps: dict[str, App] = {}
        try:
            (Path(tmp) / "now").mkdir()
            apps["now"] = prepared(App(Path(tmp) / "now", workers=1), Path(tmp) / "now")
            if args.before:
                source = Path(tmp) / "source"
                source.mkdir()
                archive = subprocess.run(
                    ["git", "archive", args.before], cwd=ROOT, check=True, capture_output=True
                ).stdout
                subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
                (Path(tmp) / "before").mkdir()
                before = AppAt(source, Path(tmp) / "before")
                apps[f"before ({args.before[:7]})"] = prepared(before, Path(tmp) / "before")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for app in apps.values():
                    one_run(browser, app)  # warm: the worker's graphs, the browser
                seen: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
                for _ in range(args.runs):
                    for name, app in apps.items():
                        seen[name].append(one_run(browser, app))
                browser.close()
        finally:
            for app in apps.values():
                app.stop()
            _kill_everything_started()
    medians = {}
    for name, runs in seen.items():
        total = statistics.median(t for t, _ in runs)
        job = statistics.median(r for _, r in runs)
        overhead = statistics.median(t - r for t, r in runs)
        medians[name] = overhead
        print(
            f"{name}: shown {total:.2f} s after the click, job {job:.2f} s, "
            f"overhead median {overhead:.2f} s (min {min(t - r for t, r in runs):.2f}, "
            f"max {max(t - r for t, r in runs):.2f}) over {len(runs)} runs "
            f"{verdict(overhead, TARGET_OVERHEAD)}"
        )
    if len(medians) == 2:
        now, before = medians.values()
        print(f"overhead now / before: {now / before:.2f}")
    return 0 if medians["now"] <= TARGET_OVERHEAD else 1


if __name__ == "__main__":
    raise SystemExit(main())
