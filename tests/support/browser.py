"""Debian's headless Chromium driven through chromedriver (Selenium), and axe-core injected into
its pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.programs import program

AXE = Path(__file__).parent / "axe" / "axe.min.js"
LAPTOP, PHONE = (1366, 900), (390, 844)


def chromium_paths() -> tuple[str, str]:
    """Chromium and chromedriver; a failure in CI (.ci/run installs them), a skip elsewhere."""
    return program("chromium", "chromium"), program("chromedriver", "chromium-driver")


@contextmanager
def chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium at laptop size that reaches nothing but what it is sent to."""
    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
    ):  # fmt: skip
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def axe_violations(chrome: webdriver.Chrome) -> list[dict[str, Any]]:
    """The WCAG 2 A and AA violations axe-core finds on the current page."""
    chrome.execute_script(AXE.read_text())
    result = chrome.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))"
        ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));"
    )
    return list(result)


def screenshot(chrome: webdriver.Chrome, path: Path, width: int, max_height: int = 2400) -> None:
    """The whole page at `width` (up to `max_height` tall) as a PNG."""
    chrome.set_window_size(width, 900)
    height = chrome.execute_script("return document.documentElement.scrollHeight")
    chrome.set_window_size(width, min(int(height), max_height))
    path.parent.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(path))
    chrome.set_window_size(*LAPTOP)
