"""The browser the page tests drive: headless Chromium, with axe-core checking every page.

`browser_session(fn)` runs `fn(browser)`. Every page the browser opens gets
axe-core (vendored in tests/axe/, from the npm registry) injected before its
own scripts; once a page has loaded, axe checks it and reports to the test.
When `fn` returns, any serious or critical violation on any page fails the test,
listed with the page's address, the rule and the elements.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
AXE = Path(__file__).parent / "axe" / "axe.min.js"
#: The impacts that fail a test (axe's scale: minor, moderate, serious, critical).
FAILING_IMPACTS = ("serious", "critical")

# Runs in every page after axe: check the page once it has loaded, and report.
_CHECK_ON_LOAD = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  window.addEventListener("load", () => {
    window.__axeDone = axe
      .run(document, { resultTypes: ["violations"] })
      .then((r) => window.__axeReport(location.pathname, r.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
      }))))
      .catch((e) => window.__axeReport(location.pathname, [
          {id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
  });
})();
"""


class AxeChecks:
    """What axe found on every page a browser loaded: (path, violations) for each load."""

    def __init__(self) -> None:
        self.loads: list[tuple[str, list[dict[str, Any]]]] = []

    def report(self, source: Any, path: str, violations: list[dict[str, Any]]) -> None:
        self.loads.append((path, violations))

    def prepare(self, context: Any) -> None:
        context.add_init_script(path=str(AXE))
        context.add_init_script(_CHECK_ON_LOAD)
        context.expose_binding("__axeReport", self.report)

    def flush(self, contexts: list[Any]) -> None:
        """Wait for the checks still running on the pages still open."""
        for context in contexts:
            for page in context.pages:
                try:
                    page.wait_for_load_state("load", timeout=10_000)
                    page.evaluate("window.__axeDone || null")
                except Exception:  # noqa: BLE001  (a page closing or navigating meanwhile)
                    pass

    def failures(self) -> dict[str, list[dict[str, Any]]]:
        """{path: its serious and critical violations}, for every page that has any."""
        found: dict[str, list[dict[str, Any]]] = {}
        for path, violations in self.loads:
            for v in violations:
                if v["impact"] in FAILING_IMPACTS and v not in found.setdefault(path, []):
                    found[path].append(v)
        return {path: bad for path, bad in found.items() if bad}


class CheckedBrowser:
    """A Playwright browser whose every context and page is checked by axe."""

    def __init__(self, browser: Any, checks: AxeChecks) -> None:
        self._browser = browser
        self._checks = checks
        self.contexts: list[Any] = []

    def new_context(self, **kwargs: Any) -> Any:
        context = self._browser.new_context(**kwargs)
        self._checks.prepare(context)
        self.contexts.append(context)
        return context

    def new_page(self, **kwargs: Any) -> Any:
        return self.new_context(**kwargs).new_page()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


def run_in_browser(fn: Callable[[Any], Any], *, axe: bool = True) -> tuple[Any, AxeChecks]:
    """Run `fn(browser)` in a headless Chromium; return its value and what axe found."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Chromium is needed for the page tests: `make test` installs it"
    checks = AxeChecks()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            checked = CheckedBrowser(browser, checks) if axe else browser
            value = fn(checked)
            if axe:
                checks.flush(checked.contexts)
            return value, checks
        finally:
            browser.close()


@pytest.fixture
def browser_session() -> Callable[[Callable[[Any], Any]], Any]:
    """Return a function that runs `fn(browser)` in Chromium; fails on serious axe violations."""

    def run(fn: Callable[[Any], Any]) -> Any:
        value, checks = run_in_browser(fn)
        failures = checks.failures()
        assert not failures, "axe-core: serious or critical violations\n" + "\n".join(
            f"{path}: [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}"
            for path, bad in failures.items()
            for v in bad
        )
        return value

    return run
