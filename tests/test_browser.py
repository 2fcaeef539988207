"""The page and /docs in a real browser: Debian's headless Chromium driven by Selenium through
the system chromedriver, against a real `wincompat serve` on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1100,1500",
    # Nothing but loopback: every other host goes to a closed proxy port and fails.
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
QUESTION = {
    "image_version": "10.0.17763.5329",
    "host": "Microsoft Windows [Version 10.0.20348.2700]",
}
VERDICT = "Yes, with Hyper-V isolation only"


def _browser(profile: Path, *, javascript: bool) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # A driver path given: Selenium Manager has nothing to look up or download.
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = _browser(tmp_path_factory.mktemp("chromium-js"), javascript=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def plain_browser(tmp_path_factory):
    driver = _browser(tmp_path_factory.mktemp("chromium-nojs"), javascript=False)
    yield driver
    driver.quit()


def _requested_urls(driver: webdriver.Chrome) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _outside(urls: list[str], base: str) -> list[str]:
    """Network requests (not the browser's own chrome:// pages) to anywhere but the service."""
    web = [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:"))]
    return [u for u in web if not u.startswith(base + "/")]


def _fill(driver: webdriver.Chrome) -> None:
    driver.find_element(By.ID, "image_version").send_keys(QUESTION["image_version"])
    driver.find_element(By.ID, "host").send_keys(QUESTION["host"])
    Select(driver.find_element(By.ID, "host_type")).select_by_value("server")


def _verdict(driver: webdriver.Chrome) -> str:
    wait = WebDriverWait(driver, 10)
    return wait.until(EC.visibility_of_element_located((By.ID, "answer-title"))).text


def test_form_with_javascript(browser, wincompat_url, tmp_path):
    browser.get(f"{wincompat_url}/")
    _fill(browser)
    browser.find_element(By.ID, "ask").click()
    WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#answer[data-via='fetch']"))
    )
    assert _verdict(browser).startswith(VERDICT)
    assert browser.find_element(By.ID, "mode-process").text.startswith("✗ Does not run")
    assert browser.find_element(By.ID, "mode-hyperv").text.startswith("✓ Runs")
    copy = browser.find_element(By.CSS_SELECTOR, "button[data-copy='copy-1']")
    assert copy.is_displayed() and copy.text == "Copy FROM line"
    # The address bar now carries the question: the link can be shared.
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["image_version"] == [QUESTION["image_version"]]
    assert query["host"] == [QUESTION["host"]]
    browser.save_screenshot(str(tmp_path / "page.png"))
    assert (tmp_path / "page.png").stat().st_size > 10_000
    assert _outside(_requested_urls(browser), wincompat_url) == []


def test_form_without_javascript_by_keyboard(plain_browser, wincompat_url, tmp_path):
    plain_browser.get(f"{wincompat_url}/")
    plain_browser.find_element(By.ID, "image").click()
    active = plain_browser.switch_to.active_element
    active.send_keys(Keys.TAB)  # to the OS version field
    plain_browser.switch_to.active_element.send_keys(QUESTION["image_version"], Keys.TAB)
    plain_browser.switch_to.active_element.send_keys(QUESTION["host"])
    assert plain_browser.switch_to.active_element.get_attribute("id") == "host"
    plain_browser.find_element(By.ID, "image_version").send_keys(Keys.ENTER)  # submits
    assert _verdict(plain_browser).startswith(VERDICT)
    # No script ran: the copy buttons stay hidden, the lines to copy are there as text.
    copy = plain_browser.find_element(By.CSS_SELECTOR, "button[data-copy='copy-1']")
    assert not copy.is_displayed()
    assert "FROM mcr.microsoft.com/windows/servercore:ltsc2022" in plain_browser.page_source
    assert "image_version=10.0.17763.5329" in plain_browser.current_url
    plain_browser.save_screenshot(str(tmp_path / "page-nojs.png"))


def test_deep_link_shows_an_error_by_the_field(plain_browser, wincompat_url):
    plain_browser.get(f"{wincompat_url}/?image_version=ltsc2022&host=banana")
    error = plain_browser.find_element(By.ID, "host-error")
    assert "'banana' is not a Windows version" in error.text
    host = plain_browser.find_element(By.ID, "host")
    assert host.get_attribute("aria-invalid") == "true"
    assert host.get_attribute("value") == "banana"


def test_docs_render_offline(browser, wincompat_url):
    browser.get_log("performance")  # drop what earlier tests fetched
    browser.get(f"{wincompat_url}/docs")
    wait = WebDriverWait(browser, 20)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary-path")))
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/compat", "/badge.svg", "/versions"} <= {p.replace("\u200b", "") for p in paths}
    urls = _requested_urls(browser)
    assert any(u.endswith("/docs/assets/swagger-ui-bundle.js") for u in urls)
    assert _outside(urls, wincompat_url) == []


def test_readable_on_a_phone(plain_browser, wincompat_url):
    # A phone's viewport through the DevTools protocol: windows have a desktop minimum width.
    metrics = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
    plain_browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        plain_browser.get(f"{wincompat_url}/?image_version=ltsc2019&host=10.0.20348.2700")
        assert _verdict(plain_browser).startswith(VERDICT)
        width = plain_browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width[0] <= width[1], width  # no sideways scrolling
    finally:
        plain_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# WCAG 2 contrast of each element's text against the first opaque background behind it.
CONTRAST_JS = """
function rgb(s) { return s.match(/[\\d.]+/g).map(Number); }
function lum(c) { var v = c.slice(0, 3).map(function (x) { x /= 255;
  return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; }
function bg(e) { for (; e; e = e.parentElement) { var c = rgb(getComputedStyle(e).backgroundColor);
  if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; }
return Array.from(document.querySelectorAll(arguments[0])).map(function (e) {
  var a = lum(rgb(getComputedStyle(e).color)), b = lum(bg(e));
  return [e.tagName + "." + e.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; });
"""
TEXT_ELEMENTS = (
    "h1, h2, p, label, legend, .badge, .reason, button:not([hidden]), a, pre, .error, li"
)


def test_text_contrast_is_at_least_4_5(plain_browser, wincompat_url):
    plain_browser.get(f"{wincompat_url}/?image_version=ltsc2019&host=banana")
    errors = plain_browser.execute_script(CONTRAST_JS, TEXT_ELEMENTS)
    plain_browser.get(f"{wincompat_url}/?image_version=ltsc2019&host=10.0.20348.2700")
    answers = plain_browser.execute_script(CONTRAST_JS, TEXT_ELEMENTS)
    measured = errors + answers
    assert len(measured) > 20
    low = [(name, round(ratio, 2)) for name, ratio in measured if ratio < 4.5]
    assert low == []


def test_nodes_view_with_a_pasted_cluster(browser, wincompat_url):
    pasted = (Path(__file__).parent / "data" / "nodes" / "aks-mixed.json").read_text()
    browser.get(f"{wincompat_url}/?view=nodes")
    browser.find_element(By.ID, "image_version").send_keys("10.0.17763.5329")
    # A whole kubectl paste: set at once (typing 20 KB key by key takes seconds).
    browser.execute_script("document.getElementById('nodes').value = arguments[0]", pasted)
    browser.find_element(By.ID, "ask").click()
    assert _verdict(browser).startswith("Runs on 1 of 5 Windows nodes")
    row = browser.find_element(By.ID, "node-akswin19000000")
    assert "✓ Runs" in row.text
    copy = browser.find_element(By.CSS_SELECTOR, "button[data-copy='copy-yaml']")
    assert copy.is_displayed()  # the script ran on this page too
