"""The CSM workspace in a real browser (Debian's headless Chromium through chromedriver) on the
whole system (broker, ingest, scorer, alerts as processes): sign in, filter, open an account,
acknowledge and snooze an alert, an event posted to ingest on the account page within seconds,
and every page passing axe-core's WCAG 2 A/AA checks. With HEALTHMON_SCREENSHOTS_DIR set, each
page is saved there at laptop and phone widths (how docs/screenshots/ is made)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from services.local.demo import accounts, history
from services.local.ports import free_port
from tests.e2e.conftest import API_KEY, System
from tests.support.browser import LAPTOP, PHONE, axe_violations, chromium, screenshot
from tests.support.receiver import http_receiver

pytestmark = pytest.mark.e2e
ACCOUNTS = 24
TROUBLED = ("acme-003", "acme-007", "acme-011", "acme-016", "acme-020")
WATCHED = "acme-005"


def wait_until(check: Callable[[], Any], timeout_s: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def populated(system: System) -> Iterator[System]:
    """Two dozen accounts with four weeks of history, five of them running into trouble; their
    alerts go to a webhook receiver and to an address where nothing listens (deliveries that
    give up)."""
    with http_receiver() as receiver:
        for target, what in ((receiver.url, "CRM sync"), (f"http://127.0.0.1:{free_port()}/hook",
                                                          "old integration")):  # fmt: skip
            endpoint = {"url": target, "description": what}
            system.alerts.post("/v1/webhook-endpoints", json=endpoint).raise_for_status()
        yield feed(system)


def feed(system: System) -> System:
    rng = random.Random(3)
    now = datetime.now(UTC) - timedelta(minutes=5)
    traits = accounts(rng)[:ACCOUNTS]
    for account in traits:
        system.ingest.post("/v1/accounts", json=account).raise_for_status()
    events = [
        e
        for a in traits
        for e in history(a["account_id"], a["seats"], a["account_id"] in TROUBLED, now, rng)
    ]
    for start in range(0, len(events), 500):
        batch = {"events": events[start : start + 500]}
        system.ingest.post("/v1/events/batch", json=batch).raise_for_status()
    wait_until(
        lambda: len(system.alerts.get("/v1/alerts", params={"limit": 100}).json()["items"])
        >= len(TROUBLED),
        what="the troubled accounts' alerts",
    )  # fmt: skip
    return system


@pytest.fixture(scope="module")
def browser(
    populated: System, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path_factory.mktemp("chromium")) as chrome:
        yield chrome


def url(system: System, path: str) -> str:
    return system.children[2].url + path


SHOTS = os.environ.get("HEALTHMON_SCREENSHOTS_DIR")


def look(chrome: webdriver.Chrome, name: str) -> None:
    """Check the page's accessibility, and save it at both widths when asked to."""
    violations = axe_violations(chrome)
    assert violations == [], f"{name}: {violations}"
    if SHOTS:
        for label, (width, _) in (("laptop", LAPTOP), ("phone", PHONE)):
            screenshot(chrome, Path(SHOTS) / f"{name}-{label}.png", width)


def sign_in(browser: webdriver.Chrome) -> None:
    """Fill in the sign-in form the browser is on, as CSM csm1."""
    browser.find_element(By.ID, "api_key").send_keys(API_KEY)
    browser.find_element(By.ID, "email").send_keys("csm1@example.com")
    browser.find_element(By.CSS_SELECTOR, "form.stack button").click()
    wait_until(lambda: browser.current_url.endswith("/accounts"), 10, "the accounts page")


@pytest.fixture
def signed_in(populated: System, browser: webdriver.Chrome) -> webdriver.Chrome:
    """The browser with a session (each test can run on its own, in any order)."""
    browser.get(url(populated, "/accounts"))
    if "/signin" in browser.current_url:
        sign_in(browser)
    return browser


def unstale(step: Callable[[], Any], tries: int = 5) -> Any:
    """Run `step` again when the page replaced the element it held (a live refresh)."""
    for _ in range(tries - 1):
        try:
            return step()
        except StaleElementReferenceException:
            time.sleep(0.3)
    return step()


def test_signing_in_shows_the_accounts_most_at_risk_first(
    populated: System, browser: webdriver.Chrome
) -> None:
    browser.get(url(populated, "/accounts"))
    assert "/signin" in browser.current_url
    look(browser, "signin")
    sign_in(browser)
    wait_until(
        lambda: browser.find_elements(By.CSS_SELECTOR, "a.account-name")
        and "Acme" in browser.find_element(By.CSS_SELECTOR, "a.account-name").text,
        what="account names from account-updates",
    )  # fmt: skip
    rows = browser.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")
    assert len(rows) == ACCOUNTS
    first = rows[0].find_element(By.CSS_SELECTOR, ".pill").text
    assert "Red" in first or "Yellow" in first
    look(browser, "accounts")


def test_filters_narrow_the_list(populated: System, signed_in: webdriver.Chrome) -> None:
    browser = signed_in
    browser.get(url(populated, "/accounts"))
    Select(browser.find_element(By.ID, "owner")).select_by_value("mine")
    browser.find_element(By.CSS_SELECTOR, "form.filters button.primary").click()
    wait_until(lambda: "owner=mine" in browser.current_url, 10, "the filtered page")
    owners = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "td.owner")}
    assert owners == {"csm1@example.com"}
    browser.find_element(By.ID, "q").send_keys("Acme 005")
    browser.find_element(By.CSS_SELECTOR, "form.filters button.primary").click()
    names = wait_until(
        lambda: [e.text for e in browser.find_elements(By.CSS_SELECTOR, "a.account-name")]
        if "q=Acme" in browser.current_url else None, 10, "the search",
    )  # fmt: skip
    assert names == ["Acme 005"]


def test_an_account_page_tells_its_story(populated: System, signed_in: webdriver.Chrome) -> None:
    browser = signed_in
    browser.get(url(populated, "/accounts?open=1"))
    link = browser.find_element(By.CSS_SELECTOR, "a.account-name")
    name = link.text
    link.click()
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "svg.chart"), 10, "the chart")

    def story() -> tuple[str, int, int, str]:
        """What the account section shows, read afresh (the page swaps it when health moves)."""
        return (
            browser.find_element(By.TAG_NAME, "h1").text,
            len(browser.find_elements(By.CSS_SELECTOR, "circle.marker")),
            len(browser.find_elements(By.CSS_SELECTOR, ".reasons li")),
            browser.find_element(By.CSS_SELECTOR, ".timeline").text,
        )

    title, markers, reasons, timeline = unstale(story)
    assert title == name and markers and reasons
    assert "Alert raised" in timeline
    look(browser, "account")


def _card(browser: webdriver.Chrome) -> Any:
    return browser.find_element(By.CSS_SELECTOR, "article.alert-card")


def test_alerts_are_acknowledged_and_snoozed_in_place(
    populated: System, signed_in: webdriver.Chrome
) -> None:
    browser = signed_in
    browser.get(url(populated, "/alerts"))
    look(browser, "alerts")
    alert_id = unstale(lambda: _card(browser).get_attribute("id"))
    # the inbox refreshes itself while alerts change: find the card afresh for each step

    def acknowledge() -> None:
        card = browser.find_element(By.ID, alert_id)
        card.find_element(By.XPATH, ".//button[text()='Acknowledge']").click()

    def status_is(wanted: str) -> None:
        wait_until(
            lambda: unstale(
                lambda: browser.find_element(By.ID, alert_id).get_attribute("data-status")
            ) == wanted, 10, f"the {wanted} card",
        )  # fmt: skip

    unstale(acknowledge)
    status_is("acknowledged")
    day = (datetime.now(UTC) + timedelta(days=2)).date()

    def snooze() -> None:
        card = browser.find_element(By.ID, alert_id)
        card.find_element(By.XPATH, ".//summary[text()='Snooze']").click()  # holds the refresh
        date_input = card.find_element(By.CSS_SELECTOR, "input[type=date]")
        browser.execute_script("arguments[0].value = arguments[1]", date_input, day.isoformat())
        card.find_element(By.XPATH, ".//form[contains(@action,'snooze')]//button").click()

    unstale(snooze)
    status_is("snoozed")
    assert "snoozed until" in unstale(lambda: browser.find_element(By.ID, alert_id).text)
    api = populated.alerts.get(f"/v1/alerts/{alert_id.removeprefix('alert-')}").json()
    assert api["status"] == "snoozed" and api["snoozed_until"].startswith(day.isoformat())


def test_an_event_sent_to_ingest_shows_on_the_account_page_within_seconds(
    populated: System, signed_in: webdriver.Chrome
) -> None:
    browser = signed_in
    browser.get(url(populated, f"/accounts/{WATCHED}"))

    def section() -> tuple[str, str]:
        """The account section's text and version, read from one element (the page swaps it)."""
        element = browser.find_element(By.ID, "account")
        return element.text, element.get_attribute("data-version") or ""

    _, before = unstale(section)
    sent = time.monotonic()
    populated.ingest.post("/v1/events", json={
        "account_id": WATCHED, "kind": "payment", "type": "payment_failed",
        "properties": {"invoice_id": "in_browser_1"},
    }).raise_for_status()  # fmt: skip

    def updated() -> tuple[str, str] | None:
        shown: tuple[str, str] = unstale(section)
        return shown if "in_browser_1" in shown[0] and "Alert raised" in shown[0] else None

    _, version = wait_until(updated, 20, "the payment failure and its alert on the open page")
    took = time.monotonic() - sent
    assert took < 15, f"the page showed the event after {took:.1f} s"
    assert version != before


def test_the_deliveries_page_passes_its_checks(
    populated: System, signed_in: webdriver.Chrome
) -> None:
    browser = signed_in
    browser.get(url(populated, "/deliveries"))
    assert "CRM sync" in browser.page_source and "Delivered 200" in browser.page_source
    replay = wait_until(
        lambda: browser.find_elements(By.XPATH, "//button[text()='Replay']")
        or browser.refresh(), 30, "a delivery that gave up",
    )  # fmt: skip
    look(browser, "deliveries")
    replay[0].click()
    wait_until(lambda: "Queued again as" in browser.page_source, 10, "the replay notice")
