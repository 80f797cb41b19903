"""Live runs in headless Chromium: runs logging in this process while the page is open show
their new state, summary and points without a reload, through the change feed and since_step
polls (the network log shows the run list and the charts were not fetched again)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

from app_data import serving
from playwright.sync_api import expect

import runcard

WAIT_MS = 15_000  # the page polls every 2 s; a busy machine may take a few turns


def watch_requests(page: Any) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def api_calls(urls: list[str], name: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlparse(u).query) for u in urls if urlparse(u).path == f"/api/{name}"]


def start_elsewhere(project: str, **config: Any) -> str:
    """A run created and finished by another thread (the test thread's run stays current)."""
    paths: list[str] = []

    def create() -> None:
        run = runcard.init(project=project, config=config)
        run.finish()
        paths.append(run.path)

    worker = threading.Thread(target=create)
    worker.start()
    worker.join()
    return paths[0]


def set_hidden(page: Any, hidden: bool) -> None:
    """Make the page report itself hidden or visible, as a background tab does."""
    page.evaluate(
        """hidden => {
            Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


def logged(store: Path, run: runcard.Run, key: str, value: float) -> None:
    """Wait until the run's background writer has stored `key` = `value` in its summary."""
    deadline = time.monotonic() + 10
    api = runcard.Api(dir=str(store))
    while api.run(run.path).summary.get(key) != value:
        assert time.monotonic() < deadline, f"{key}={value} was never stored"
        time.sleep(0.02)


def test_the_runs_table_patches_live_rows_without_refetching_the_list(
    page: Any, store_dir: Path, tmp_path: Path
) -> None:
    done = runcard.init(project="live", config={"lr": 0.1})
    done.log({"acc": 0.5})
    done.finish()
    live = runcard.init(project="live", config={"lr": 0.2})
    live.log({"acc": 0.1})
    logged(store_dir, live, "acc", 0.1)
    with serving(store_dir) as server:
        urls = watch_requests(page)
        page.goto(f"{server}/#/p/{quote(live.entity)}/live")
        page.wait_for_selector("body[data-ready='1']")
        rows = page.locator("#runs tr[data-path]")
        expect(rows).to_have_count(2)
        row = page.locator(f"#runs tr[data-path='{live.path}']")
        expect(row.locator("td.state-running")).to_have_count(1)

        live.log({"acc": 0.75})
        expect(row).to_contain_text("0.75", timeout=WAIT_MS)
        newcomer = start_elsewhere("live", lr=0.3)
        expect(rows).to_have_count(3, timeout=WAIT_MS)
        assert rows.first.get_attribute("data-path") == newcomer  # newest first
        expect(page.locator("#count")).to_contain_text("of 3")

        set_hidden(page, True)  # a hidden page stops asking, and asks at once when shown again
        asked = len(api_calls(urls, "changes"))
        time.sleep(4.5)
        assert len(api_calls(urls, "changes")) <= asked + 1  # one may have been under way
        live.finish()
        set_hidden(page, False)
        expect(row.locator("td.state-finished")).to_have_count(1, timeout=1_500)
        page.screenshot(path=str(tmp_path / "live-table.png"), full_page=True)

        assert len(api_calls(urls, "runs")) == 1  # the list was read once, then only patched
        assert len(api_calls(urls, "changes")) >= 3
    assert page.errors == []


def test_a_run_page_appends_points_and_shows_the_end_of_a_live_run(
    page: Any, store_dir: Path, tmp_path: Path
) -> None:
    live = runcard.init(project="live", config={"lr": 0.2})
    for step in range(5):
        live.log({"loss": float(step)})
    logged(store_dir, live, "loss", 4.0)
    with serving(store_dir) as server:
        urls = watch_requests(page)
        page.goto(f"{server}/#/run/" + "/".join(quote(p) for p in live.path.split("/")))
        page.wait_for_selector("body[data-ready='1']")
        chart = page.locator("#charts .chart[data-key='loss']")
        expect(chart).to_have_attribute("data-points", "5")
        expect(page.locator("#run-state")).to_have_text("(running)")

        for step in range(5, 12):
            live.log({"loss": float(step)})
        expect(chart).to_have_attribute("data-points", "12", timeout=WAIT_MS)
        live.log({"acc": 0.5})  # a metric the page had no chart for
        expect(page.locator("#charts .chart[data-key='acc']")).to_have_attribute(
            "data-points", "1", timeout=WAIT_MS
        )
        live.finish()
        expect(page.locator("#run-state")).to_have_text("(finished)", timeout=WAIT_MS)
        expect(page.locator("#summary")).to_contain_text("acc")
        page.screenshot(path=str(tmp_path / "live-run.png"), full_page=True)

        assert len([u for u in urls if urlparse(u).path.startswith("/api/run/")]) == 1
        assert api_calls(urls, "series") == []  # the charts were never fetched whole again
        polls = api_calls(urls, "history")
        assert polls[0].get("since_step") is None  # the first read: every point
        assert {"4", "11"} <= {p["since_step"][0] for p in polls[1:] if "since_step" in p}
        polls_after_end = len(polls)
        time.sleep(2.5)
        assert len(api_calls(urls, "history")) == polls_after_end  # an ended run is not polled
    assert page.errors == []
