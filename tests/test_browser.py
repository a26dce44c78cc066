"""The overview page in real headless Chromium: draws, lists layers, stays offline."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, sync_playwright

import layers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium; Playwright gives every launch a fresh temporary profile."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_overview_page(
    browser: Browser, live_server: str, demo_conn, artifacts, size: tuple[int, int]
) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    host = urlsplit(live_server).netloc
    page.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if urlsplit(r.url).netloc != host and not r.url.startswith("data:")
            else None
        ),
    )
    page.goto(live_server + "/")
    n_compounds = demo_conn.execute("SELECT count(*) FROM compound").fetchone()[0]
    page.wait_for_function(
        f"document.body.dataset.drawn_compounds === '{n_compounds}'", timeout=20_000
    )
    page.wait_for_function("document.body.dataset.drawn_streets === '18'", timeout=20_000)
    # The compound polygons are really on the map (SVG/canvas paths inside the map pane).
    assert page.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane path").count() > 0
    # The panel lists every registered layer with its Chinese title and count.
    rows = page.locator("#gs-layer-table tbody tr")
    assert rows.count() == len(layers.REGISTRY)
    text = page.locator("#gs-layer-table").inner_text()
    for layer in layers.REGISTRY.values():
        assert layer.title in text
    assert f"{n_compounds:,}" in text
    assert "拱墅区" in page.title()
    # The layer control offers the drawn layers.
    assert "小区（" in page.locator(".leaflet-control-layers").inner_text()
    page.screenshot(path=str(artifacts / f"overview-{size[0]}x{size[1]}.png"))
    assert errors == []
    assert foreign == []
    page.close()
