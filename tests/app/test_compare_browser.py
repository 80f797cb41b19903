"""The comparing views in headless Chromium (issue 21): the importance panel, the groups table
with every metric, the chart controls (x axis, smoothing, log y, min/max band), ticked runs
overlaid and diffed on one page, and a run's config with its provenance inline. Their own
store: 24 runs whose val_acc depends on lr and optimizer, with hostile names and keys."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from app_data import XSS_IMG, XSS_SCRIPT
from playwright.sync_api import expect

import runcard
from runcard import _state

EFFECT = {"adam": 0.2, "sgd": 0.0}
HOSTILE_KEY = "<b>key</b>"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("compare") / "store"
    paths: dict[str, Any] = {"imp": [], "few": []}
    rng = random.Random(0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNCARD_DIR", str(root))
        for i in range(24):
            lr = [0.001, 0.01, 0.1][i % 3]
            optimizer = ["adam", "sgd"][i // 3 % 2]
            config = {"lr": lr, "optimizer": optimizer, "seed": i, "arch": "mlp"}
            config[HOSTILE_KEY] = XSS_SCRIPT if i % 2 else XSS_IMG
            run = runcard.init(project="imp", name=f"{XSS_IMG} {i}", config=config)
            run.config.update({"width": 64})
            for step in range(20):
                run.log({"loss": (1 + lr * 10) / (step + 1), "epoch": step // 5})
            run.summary["val_acc"] = 0.5 + lr * 3 + EFFECT[optimizer] + rng.gauss(0, 0.01)
            run.finish()
            paths["imp"].append(run.path)
        for i in range(5):
            run = runcard.init(project="few", config={"lr": i / 10})
            run.summary["val_acc"] = i / 10
            run.finish()
    _state.current_run.set(None)
    return root, paths


def open_view(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")


def project_url(page: Any, server: str, name: str) -> str:
    entity = page.request.get(f"{server}/api/projects").json()["projects"][0]["entity"]
    return f"{server}/#/p/{quote(entity)}/{name}"


def no_injection(page: Any) -> None:
    assert page.locator("main script, main img, main b").count() == 0
    assert page.evaluate("window.pwned") is None


def option(page: Any, chart: str) -> Any:
    """The option ECharts drew `chart` (an element id) with: its series and axes."""
    return page.evaluate(
        """(id) => { const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();
        return { series: o.series.map(s => ({ type: s.type, data: s.data,
          opacity: s.lineStyle ? s.lineStyle.opacity : null })), y: o.yAxis[0].type,
          x: o.xAxis[0].type }; }""",
        chart,
    )


def test_importance_panel_ranks_the_keys_and_keeps_every_string_text(
    page: Any, server: str, tmp_path: Path
) -> None:
    open_view(page, project_url(page, server, "imp") + "?view=importance&metric=summary.val_acc")
    rows = page.locator("#importance tr[data-key]")
    keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key)")
    assert set(keys) == {"config.lr", "config.optimizer", "config.seed", f"config.{HOSTILE_KEY}"}
    assert keys[0] in ("config.lr", "config.optimizer")
    assert set(keys[:2]) == {"config.lr", "config.optimizer"}
    scores = rows.evaluate_all("rs => rs.map(r => +r.dataset.importance)")
    assert abs(sum(scores) - 1) < 1e-6
    assert HOSTILE_KEY in page.locator("#importance").inner_text()
    assert "arch" in page.locator("#importance-constant").inner_text()
    assert "ε²" in rows.nth(keys.index("config.optimizer")).inner_text()
    no_injection(page)
    page.screenshot(path=str(tmp_path / "importance.png"), full_page=True)
    open_view(page, project_url(page, server, "few") + "?view=importance")
    assert "at least 10" in page.locator("#importance-message").inner_text()
    assert page.locator("#importance").count() == 0
    assert page.errors == []


def test_groups_table_lists_every_metric_and_charts_one_that_varies(
    page: Any, server: str, tmp_path: Path
) -> None:
    open_view(page, project_url(page, server, "imp") + "?view=groups&by=config.optimizer")
    page.wait_for_selector("#group-curves[data-groups='2'] canvas")
    metrics = page.locator("#groups th.metric").evaluate_all("hs => hs.map(h => h.dataset.metric)")
    assert sorted(metrics) == ["summary.epoch", "summary.loss", "summary.val_acc"]
    # epoch ends at 3 in every run: the default chart is the first metric that varies
    assert page.locator("#group-chart").get_attribute("data-metric") == "summary.loss"
    for row in page.locator("#groups tr.group").all():
        expect(row.locator("td.n")).to_have_text(["12", "12", "12"])
        assert " ± " in row.locator("td.mean[data-metric='summary.val_acc']").inner_text()
        assert row.locator("td.ci[data-metric='summary.val_acc']").inner_text().startswith("[")
    means = page.locator("td.mean[data-metric='summary.val_acc']").evaluate_all(
        "cs => cs.map(c => +c.dataset.mean)"
    )
    assert means[0] > means[1] + 0.15  # adam, then sgd
    page.locator("#groups th[data-metric='summary.val_acc']").click()
    expect(page).to_have_url(re.compile(r"metric=summary\.val_acc"))
    page.wait_for_selector("#group-chart[data-metric='summary.val_acc']")
    page.screenshot(path=str(tmp_path / "groups.png"), full_page=True)

    std = option(page, "group-curves")["series"][0]["data"]
    page.select_option("#band", "minmax")
    page.wait_for_selector("#group-curves[data-band='minmax'] canvas")
    minmax = option(page, "group-curves")["series"][0]["data"]
    assert minmax != std and len(minmax) == len(std)
    no_injection(page)
    assert page.errors == []


def test_ticked_runs_overlay_and_diff_on_one_page_the_url_names(
    page: Any, server: str, store: Any, browser: Any
) -> None:
    a, b, c = store[1]["imp"][:3]
    open_view(page, project_url(page, server, "imp"))
    for path in (a, b, c):
        page.locator(f"input.select[data-path='{path}']").check()
        expect(page.locator(f"input.select[data-path='{path}']")).to_be_checked()
    page.locator("#compare").click()
    page.wait_for_selector("#overlay[data-runs='3'] canvas")
    diffed = page.locator("#diff tr[data-key]").evaluate_all("rs => rs.map(r => r.dataset.key)")
    assert diffed == ["lr", "seed", HOSTILE_KEY]
    no_injection(page)
    shared = page.url
    fresh = browser.new_page()  # a context of its own: only the URL carries the comparison
    errors: list[str] = []
    fresh.on("pageerror", lambda exc: errors.append(str(exc)))
    open_view(fresh, shared)
    fresh.wait_for_selector("#overlay[data-runs='3'] canvas")
    assert len(option(fresh, "overlay")["series"]) == 3
    assert fresh.locator("#diff tr[data-key]").count() == 3
    fresh.close()
    assert page.errors == [] and errors == []


def test_smoothing_x_axis_and_log_y_change_the_drawn_series(
    page: Any, server: str, store: Any, tmp_path: Path
) -> None:
    sel = ",".join(store[1]["imp"][:2])
    base = project_url(page, server, "imp") + f"?view=diff&sel={quote(sel)}&metric=loss"
    open_view(page, base)
    page.wait_for_selector("#overlay canvas")
    raw = option(page, "overlay")
    assert [len(s["data"]) for s in raw["series"]] == [20, 20]
    assert [p[0] for p in raw["series"][0]["data"]] == list(range(20))
    assert raw["y"] == "value"

    page.select_option("#x-axis", "epoch")
    expect(page).to_have_url(re.compile(r"x=epoch"))
    page.wait_for_selector("#overlay canvas")
    epochs = option(page, "overlay")["series"][0]["data"]
    assert sorted({p[0] for p in epochs}) == [0, 1, 2, 3]

    page.select_option("#x-axis", "relative")
    page.wait_for_selector("#overlay canvas")
    relative = option(page, "overlay")["series"][0]["data"]
    assert relative[0][0] == 0 and all(isinstance(p[0], float | int) for p in relative)

    open_view(page, base + "&smooth=0.9&logy=1")
    page.wait_for_selector("#overlay canvas")
    smoothed = option(page, "overlay")
    assert smoothed["y"] == "log"
    assert len(smoothed["series"]) == 4  # each run: the raw curve, faint, then the smoothed one
    faint, line = smoothed["series"][0], smoothed["series"][1]
    assert faint["opacity"] == 0.25
    assert [p[1] for p in faint["data"]] == [p[1] for p in raw["series"][0]["data"]]
    assert line["data"][0][1] == faint["data"][0][1]  # debiased: starts at the first point
    assert line["data"][5][1] > faint["data"][5][1]  # lags behind the falling loss
    page.screenshot(path=str(tmp_path / "overlay.png"), full_page=True)
    assert page.errors == []


def test_run_config_shows_each_values_provenance_inline(page: Any, server: str, store: Any) -> None:
    path = store[1]["imp"][0]
    open_view(page, f"{server}/#/run/" + "/".join(quote(p) for p in path.split("/")))
    page.wait_for_selector("#config")
    width = page.locator("#config tr[data-key='width'] td.provenance .source").inner_text()
    assert re.fullmatch(r"code \S+test_compare_browser\.py:\d+ at step 0", width), width
    lr = page.locator("#config tr[data-key='lr'] td.provenance .source").inner_text()
    assert lr.startswith("init")
    assert XSS_IMG in page.locator("#run-name").inner_text()
    no_injection(page)
    assert page.errors == []
