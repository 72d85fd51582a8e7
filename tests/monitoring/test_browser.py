"""A person's view in real headless Chromium (Debian's chromium + chromedriver, driven by selenium).

Signs in on the operator page, waits for the figures (and one refresh by the page's script, which
the strict CSP must allow), reads what is shown, saves docs/images/operator-dashboard.png; then
opens the API docs and counts the operations Swagger UI lists. Skips visibly without Chromium.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from backend.common.api import OPERATIONS
from backend.config import ROOT
from tests.monitoring.conftest import ADMIN, queue_jobs, t0, tick

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOT = ROOT / "docs" / "images" / "operator-dashboard.png"
pytestmark = [
    pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
                       reason="Chromium/chromedriver not installed (apt: chromium chromium-driver)"),
    pytest.mark.sqlite_only,  # one browser run is enough; the page's data paths run on both in test_page.py
]


@pytest.fixture
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sf-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 f"--user-data-dir={profile}", "--window-size=1400,1900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def served(monitor_app):
    """The app on a real loopback HTTP server (threaded werkzeug), its base URL."""
    server = make_server("127.0.0.1", 0, monitor_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def csp_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]
            or e["level"] == "SEVERE"]


def test_operator_signs_in_and_sees_the_dashboard_then_the_api_docs(browser, served, monitor_app, admin):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    client, (user, headers) = monitor_app.test_client(), admin
    client.post(f"{ADMIN}/alerts/rules", headers=headers, json={
        "name": "job queue backed up", "metric": "jobs.queue_depth", "threshold": 2, "window_seconds": 60,
        "severity": "critical", "channels": ["slack"]})
    queue_jobs(monitor_app, 4)
    tick(monitor_app, t0())
    client.post(f"{ADMIN}/incidents", headers=headers, json={"title": "Workers not draining the queue",
                                                             "severity": "critical", "alert_ids": [1]})
    for _ in range(20):
        client.get("/api/v1/coocook/chefs")
        client.get("/api/v1/products")
    client.get(f"{ADMIN}/alerts/rules/999", headers=headers)
    wait = WebDriverWait(browser, 30)

    browser.get(f"{served}/admin/")
    wait.until(ec.presence_of_element_located((By.ID, "sign-in")))
    assert browser.current_url.endswith("/admin/login?next=/admin/")  # redirected, not a 401
    browser.find_element(By.ID, "email").send_keys(user["email"])
    browser.find_element(By.ID, "password").send_keys("password-123")
    browser.find_element(By.ID, "sign-in").click()
    wait.until(ec.presence_of_element_located((By.ID, "dashboard")))
    root = browser.find_element(By.ID, "dashboard")
    wait.until(lambda d: root.get_attribute("data-refreshed"))  # the script ran (CSP allowed it) and refreshed
    assert "Signed in as Ops" in browser.find_element(By.ID, "who").text

    cards = {el.get_attribute("data-key"): el.text for el in browser.find_elements(By.CSS_SELECTOR, ".card .value")}
    assert cards["active_alerts"] == "1" and cards["open_incidents"] == "1" and cards["queue_depth"] == "4"
    assert cards["error_rate"].endswith("%") and cards["cache_hit_rate"].endswith("%")

    def table(section: str) -> list[list[str]]:
        rows = browser.find_elements(By.CSS_SELECTOR, f"#{section} tbody tr")
        return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]

    health = {row[0]: row[1] for row in table("health")}
    assert health["database"] == "ok" and "alerts_slack" in health
    assert any(r[0] == "coocook.list_chefs" and int(r[1]) >= 20 and float(r[4]) > 0 for r in table("endpoints"))
    assert any(r[3] == "job queue backed up" and r[1] == "critical" for r in table("alerts"))
    assert any(r[3] == "Workers not draining the queue" for r in table("incidents"))
    assert any(r[0] == "coocook.list_chefs" for r in table("cache"))
    assert table("pool")[0][1] != "" and {r[0] for r in table("jobs")} >= {"queued", "failed"}
    assert csp_errors(browser) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    assert Path(SCREENSHOT).stat().st_size > 10_000

    browser.get(f"{served}/api/v1/docs")
    documented = sum(1 for op in OPERATIONS.values())
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 10)
    # Swagger UI 5 renders long operation lists virtually (only what is near the viewport is in the
    # DOM), so scroll through the page as a person would and collect every operation that showed.
    shown: set[str] = set()
    IDS = "return Array.from(document.querySelectorAll('.opblock')).map(e => e.id);"  # noqa: N806
    for _ in range(400):
        # ids read in one script call: an element can unmount between a find and an attribute read
        shown |= set(browser.execute_script(IDS))
        at_end = browser.execute_script("window.scrollBy(0, 600); "
                                        "return window.innerHeight + window.scrollY >= document.body.scrollHeight;")
        if at_end:
            shown |= set(browser.execute_script(IDS))
            break
    assert len(shown) >= documented * 0.9, (len(shown), documented)
    browser.execute_script("window.scrollTo(0, 0);")
    paths = ("return Array.from(document.querySelectorAll('.opblock-summary-path'))"
             ".map(e => e.getAttribute('data-path'));")
    wait.until(lambda d: "/api/v1/admin/alerts/rules" in d.execute_script(paths))  # back at the top, re-rendered
    assert "SoftFactory" in browser.title or browser.find_elements(By.CSS_SELECTOR, ".info .title")
    assert csp_errors(browser) == []
