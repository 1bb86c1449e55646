"""The Airflow UI as a person uses it: headless Chromium (Debian's `chromium` and
`chromium-driver`, installed by `make test-tools`) logs in, finds the three DAGs, triggers
news_ingest from the trigger form and watches the run succeed. The screenshot of the green run
is saved as test-output/airflow-ui-news_ingest.png.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from devtools.sample_site import SampleSite
from pipeline.config import Settings
from pipeline.stack.airflow import admin_password, base_url
from pipeline.stack.airflow_api import AirflowAPI

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DAG_IDS = ("news_ingest", "news_backfill", "news_maintenance")


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """Headless Debian chromium with a new, empty profile, removed afterwards."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(
            "chromium or chromedriver missing: run `make test-tools` "
            "(apt-get install chromium chromium-driver)"
        )
    profile = tempfile.mkdtemp(prefix="newsflow-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1920,1080",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(10)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def ui(airflow_stack: Settings, browser, tmp_path_factory) -> Iterator[dict]:
    """Logged in, with a sample site to ingest: its own port, so its articles are new."""
    api = AirflowAPI(airflow_stack)
    for dag_id in DAG_IDS:
        api.wait_for_dag(dag_id)
    site = SampleSite().start()
    source_id = f"ui-{uuid.uuid4().hex[:6]}"
    sources = site.write_sources_yaml(tmp_path_factory.mktemp("ui") / "sources.yaml", source_id)
    root = base_url(airflow_stack)
    browser.get(root + "/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(admin_password(airflow_stack))
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 30).until(lambda d: "/auth/login" not in d.current_url)
    try:
        yield {
            "root": root,
            "api": api,
            "sources": str(sources),
            "source_id": source_id,
            "site": site,
        }
    finally:
        site.stop()


def _text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def test_the_ui_asks_for_a_login(airflow_stack):
    root = base_url(airflow_stack)
    with chromium() as stranger:
        stranger.get(root + "/dags/news_ingest")
        WebDriverWait(stranger, 30).until(lambda d: "/auth/login" in d.current_url)
        stranger.find_element(By.NAME, "username").send_keys("admin")
        stranger.find_element(By.NAME, "password").send_keys("not-the-password")
        stranger.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        time.sleep(2)
        assert "/auth/login" in stranger.current_url
        assert "news_maintenance" not in _text(stranger)
    assert httpx.get(root + "/api/v2/dags", timeout=10).status_code == 401


def test_the_three_dags_are_listed_without_import_errors(ui, browser):
    browser.get(ui["root"] + "/dags")
    WebDriverWait(browser, 60).until(lambda d: all(dag_id in _text(d) for dag_id in DAG_IDS))
    browser.get(ui["root"] + "/")
    WebDriverWait(browser, 30).until(lambda d: "Active Dags" in _text(d))
    assert "Import Error" not in _text(browser)
    assert ui["api"]._call("GET", "/importErrors")["total_entries"] == 0


@pytest.fixture(scope="module")
def green_run(ui, browser) -> str:
    """news_ingest triggered from the UI's form, watched in the browser until it ends."""
    api = ui["api"]
    api.unpause("news_ingest")
    before = {r["dag_run_id"] for r in _runs(api)}
    browser.get(ui["root"] + "/dags/news_ingest")
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Trigger Dag']").click()
    browser.find_element(By.NAME, "element_sources_file").send_keys(ui["sources"])
    browser.find_element(
        By.XPATH, "//*[@role='dialog']//button[normalize-space()='Trigger']"
    ).click()
    run_id = _new_run(api, before)
    browser.get(f"{ui['root']}/dags/news_ingest/runs/{run_id}")
    # The run page polls the API while the run is going; its state badge changes by itself.
    WebDriverWait(browser, 300, poll_frequency=2).until(lambda d: _run_state(d) in FINAL)
    return run_id


FINAL = ("success", "failed")


def _run_state(browser) -> str | None:
    """The state badge in the run page's header, as the person looking at it reads it."""
    badges = browser.find_elements(
        By.CSS_SELECTOR, "[data-testid='header-card'] [data-testid='state-badge']"
    )
    return badges[0].text.strip().lower() if badges else None


def _runs(api: AirflowAPI) -> list[dict]:
    return api._call("GET", "/dags/news_ingest/dagRuns", params={"limit": 100})["dag_runs"]


def _new_run(api: AirflowAPI, before: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [r["dag_run_id"] for r in _runs(api) if r["dag_run_id"] not in before]
        if new:
            return new[0]
        time.sleep(1)
    raise AssertionError("the trigger form created no run of news_ingest")


def test_a_run_triggered_from_the_form_succeeds_in_the_browser(ui, browser, green_run):
    api = ui["api"]
    assert _run_state(browser) == "success", api.task_states("news_ingest", green_run)
    run = api._call("GET", f"/dags/news_ingest/dagRuns/{green_run}")
    assert run["state"] == "success"
    assert run["conf"]["sources_file"] == ui["sources"]
    (summary,) = api.task_results("news_ingest", green_run, "ingest")
    assert summary["source_id"] == ui["source_id"]
    assert summary["new"] == summary["published"] == len(ui["site"].article_urls())
    log = api.http.get(
        f"/dags/news_ingest/dagRuns/{green_run}/taskInstances/ingest/logs/1",
        params={"map_index": 0, "full_content": True},
    ).text
    n = len(ui["site"].article_urls())
    assert (
        f"source {ui['source_id']}: {n} discovered, {n} fetched, {n} new, 0 changed, "
        f"0 unchanged, {n} published, 0 failed"
    ) in log, log[-2000:]


def test_the_green_run_is_saved_as_a_screenshot(ui, browser, green_run, output_dir):
    browser.get(f"{ui['root']}/dags/news_ingest/runs/{green_run}")
    WebDriverWait(browser, 30).until(
        lambda d: _run_state(d) == "success" and ui["source_id"] in _text(d)
    )
    time.sleep(2)  # the grid draws its bars after the data arrives
    shot = output_dir / "airflow-ui-news_ingest.png"
    assert browser.save_screenshot(str(shot)), "chromium could not write the screenshot"
    assert shot.stat().st_size > 10_000


def test_the_run_marked_the_cleaned_topic_asset_as_updated(ui, green_run):
    events = ui["api"]._call(
        "GET", "/assets/events", params={"source_dag_id": "news_ingest", "source_run_id": green_run}
    )["asset_events"]
    assert len(events) == 1, events
    assert events[0]["uri"].endswith("/news.articles.cleaned.v1")
    assert events[0]["extra"]["published"] == len(ui["site"].article_urls())
