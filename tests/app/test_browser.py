"""The front end in headless Chromium against a real server on a loopback port. Each test saves
a screenshot of its view under its pytest tmp_path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app_data import XSS_IMG, XSS_SCRIPT
from playwright.sync_api import expect


def open_view(page: Any, server: str, fragment: str) -> None:
    page.goto(f"{server}/#{fragment}")
    page.wait_for_selector("body[data-ready='1']")


def shoot(page: Any, tmp_path: Path, name: str) -> None:
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 1000


def test_projects_view_links_each_project(page: Any, server: str, tmp_path: Path) -> None:
    open_view(page, server, "/")
    links = page.locator("#projects a").all_text_contents()
    assert sorted(links) == [
        f"{page_entity(page, server)}/demo",
        f"{page_entity(page, server)}/xss",
    ]
    shoot(page, tmp_path, "projects")
    assert page.errors == []


def page_entity(page: Any, server: str) -> str:
    return str(page.request.get(f"{server}/api/projects").json()["projects"][0]["entity"])


def demo(page: Any, server: str) -> str:
    return f"/p/{quote(page_entity(page, server))}/demo"


def test_table_lists_the_runs_with_varying_config_columns(
    page: Any, server: str, store: Any, tmp_path: Path
) -> None:
    open_view(page, server, demo(page, server))
    rows = page.locator("#runs tr[data-path]")
    assert rows.count() == 6
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.path)")) == sorted(
        store[1]["demo"]
    )
    headers = page.locator("#runs th").all_text_contents()
    assert "lr" in headers and "optimizer.name" in headers and "seed" in headers
    assert "epochs" not in headers  # equal in every run: hidden by default
    shoot(page, tmp_path, "table")
    page.locator("th[data-key='summary.acc']").click()
    expect(page).to_have_url(re.compile(r"sort=-summary\.acc"))
    page.wait_for_selector("#runs th[data-key='summary.acc']:has-text('▼')")
    first = page.locator("#runs tr[data-path] td.num").all_text_contents()
    assert "0.81" in first
    assert page.errors == []


def test_grouping_by_a_config_key_shows_groups_counts_and_means(
    page: Any, server: str, tmp_path: Path
) -> None:
    open_view(page, server, demo(page, server) + "?view=groups&by=config.lr&metric=summary.acc")
    page.wait_for_selector("#groups tr.group")
    groups = page.locator("#groups tr.group")
    assert groups.count() == 2
    found = {}
    for i in range(2):
        row = groups.nth(i)
        key = row.locator("td.key").inner_text()
        found[key] = (
            row.locator("td.count").inner_text(),
            float(
                row.locator("td.mean[data-metric='summary.acc']").get_attribute("data-mean")
                or "nan"
            ),
        )
    assert found.keys() == {"0.1", "0.01"}
    assert found["0.1"][0] == "3" and abs(found["0.1"][1] - 0.8) < 1e-9
    assert found["0.01"][0] == "3" and abs(found["0.01"][1] - 0.6) < 1e-9
    page.wait_for_selector("#group-chart canvas")
    page.wait_for_selector("#group-curves[data-groups='2'] canvas")
    shoot(page, tmp_path, "groups")
    assert page.errors == []


def test_selecting_two_runs_shows_exactly_their_differing_keys(
    page: Any, server: str, store: Any, tmp_path: Path
) -> None:
    a, b = store[1]["demo"][0], store[1]["demo"][2]  # lr 0.1 adam seed 0 / lr 0.1 sgd seed 0
    open_view(page, server, demo(page, server))
    page.locator(f"input.select[data-path='{a}']").check()
    expect(page).to_have_url(re.compile(r"sel="))
    page.wait_for_selector(f"input.select[data-path='{b}']")
    page.locator(f"input.select[data-path='{b}']").check()
    page.wait_for_selector("#compare:not([disabled])")
    page.locator("#compare").click()
    page.wait_for_selector("#diff")
    keys = page.locator("#diff tr[data-key]").evaluate_all("rs => rs.map(r => r.dataset.key)")
    assert keys == ["optimizer.name"]
    page.wait_for_selector("#overlay canvas")
    shoot(page, tmp_path, "diff")
    assert page.errors == []


def test_run_page_draws_its_charts(page: Any, server: str, store: Any, tmp_path: Path) -> None:
    path = store[1]["demo"][0]
    open_view(page, server, "/run/" + "/".join(quote(p) for p in path.split("/")))
    page.wait_for_selector("#charts .chart[data-points] canvas")
    charts = page.locator("#charts .chart")
    assert charts.count() == 2
    assert charts.evaluate_all("cs => cs.map(c => +c.dataset.points)") == [40, 40]
    # the canvas holds drawn pixels, not a blank surface
    inked = page.evaluate(
        """() => { const c = document.querySelector('#charts canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert inked > 500
    assert page.locator("#config").inner_text().count("optimizer.name") == 1
    shoot(page, tmp_path, "run")
    assert page.errors == []


def test_parallel_coordinates_render(page: Any, server: str, tmp_path: Path) -> None:
    open_view(page, server, demo(page, server) + "?view=parallel&metric=summary.acc")
    page.wait_for_selector("#parallel[data-lines='6'] canvas")
    shoot(page, tmp_path, "parallel")
    page.locator("nav.tabs a[data-view='scatter']").click()
    page.wait_for_selector("#scatter[data-points='6'] canvas")
    shoot(page, tmp_path, "scatter")
    assert page.errors == []


def test_html_in_config_name_and_tags_stays_text(
    page: Any, server: str, store: Any, tmp_path: Path
) -> None:
    xss = f"/p/{quote(page_entity(page, server))}/xss"
    open_view(page, server, xss + "?cols=config.payload,config.img,config.<b>key</b>")
    page.wait_for_selector("#runs tr[data-path]")
    text = page.locator("#runs").inner_text()
    assert XSS_SCRIPT in text and XSS_IMG in text and "<b>key</b>" in text
    shoot(page, tmp_path, "xss-table")
    path = store[1]["xss"]
    open_view(page, server, "/run/" + "/".join(quote(p) for p in path.split("/")))
    page.wait_for_selector("#config")
    assert XSS_IMG in page.locator("#run-name").inner_text()
    assert XSS_SCRIPT in page.locator("main").inner_text()  # the tag, as text
    assert page.locator("main script, main img, main b").count() == 0
    assert page.evaluate("window.pwned") is None
    shoot(page, tmp_path, "xss-run")
    assert page.errors == []


def test_unknown_run_page_shows_the_404_message(page: Any, server: str) -> None:
    open_view(page, server, "/run/nobody/demo/nope")
    assert "no run" in page.locator("#error").inner_text()


def test_filter_box_takes_the_cli_syntax_and_reports_errors(
    page: Any, server: str, tmp_path: Path
) -> None:
    open_view(page, server, demo(page, server))
    page.fill("#filter", "config.lr=0.01 and summary.acc>0.59")
    page.click("form.toolbar button[type=submit]")
    # expect() polls from Python: the page's CSP forbids the eval a string predicate needs
    expect(page).to_have_url(re.compile(r"filter="))
    expect(page.locator("#runs tr[data-path]")).to_have_count(2)
    shoot(page, tmp_path, "filtered")
    page.fill("#filter", "lr>>")
    page.click("form.toolbar button[type=submit]")
    page.wait_for_selector("#error")
    assert "unknown key 'lr'" in page.locator("#error").inner_text()
    assert page.errors == []
