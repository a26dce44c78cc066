"""The one-screen map page: folium builds the Leaflet page from layer metadata.

It never queries: the page fetches its data from the API after loading.
"""

from __future__ import annotations

import json
from html import escape

import folium
from branca.element import MacroElement
from jinja2 import Template

from .assets import offline_map

PANEL = """
<aside id="gs-panel" class="gs-panel" aria-label="图层列表">
  <h1 class="gs-title">{title}</h1>
  <p class="gs-sub">{subtitle}</p>
  <table class="gs-layers" id="gs-layer-table">
    <thead><tr><th>图层</th><th class="num">数量</th><th>说明</th></tr></thead>
    <tbody>{rows}</tbody>
  </table>
  <p class="gs-foot">数据：{district} · 坐标系 WGS-84 (EPSG:4326)</p>
</aside>
"""


class _Start(MacroElement):
    """Calls GeoService.start(map) once folium has created the map."""

    _template = Template(
        "{% macro script(this, kwargs) %}GeoService.start({{ this._parent.get_name() }});{% endmacro %}"
    )


def build_page(summaries: list[dict], district_name: str, bounds: list[float] | None) -> str:
    """HTML of the overview map for the given layer summaries (from queries.layer_summaries)."""
    m = offline_map(
        location=[30.33, 120.15]
        if bounds is None
        else [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=12,
        control_scale=True,
        prefer_canvas=True,
        attribution_control=True,
    )
    root = m.get_root()
    root.title = f"{district_name}小区治理一张图"
    root.header.add_child(
        folium.Element('<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">'),
        name="favicon",
    )
    root.header.add_child(folium.CssLink("/static/css/overview.css"), name="overview_css")
    rows = "".join(
        f'<tr data-layer="{escape(s["layer"].id)}"><td>{escape(s["layer"].title)}</td>'
        f'<td class="num">{s["count"]:,}</td><td>{escape(s["layer"].description)}</td></tr>'
        for s in summaries
    )
    root.html.add_child(
        folium.Element(
            PANEL.format(
                title=escape(f"{district_name}小区治理一张图"),
                subtitle="党建引领 · 三方协同 · 以房管人",
                rows=rows,
                district=escape(district_name),
            )
        )
    )
    config = {
        "map": m.get_name(),
        "bounds": bounds,
        "layers": [
            {
                "id": s["layer"].id,
                "title": s["layer"].title,
                "kind": s["layer"].kind,
                "geometry": s["layer"].geometry_type,
                "count": s["count"],
                "minZoom": s["layer"].min_zoom,
                "style": s["layer"].style,
            }
            for s in summaries
        ],
    }
    root.html.add_child(
        folium.Element(
            f'<script id="gs-config" type="application/json">{escape(json.dumps(config, ensure_ascii=False), quote=False)}</script>'
        )
    )
    root.header.add_child(folium.JavascriptLink("/static/js/overview.js"), name="overview_js")
    m.add_child(_Start())
    return root.render()
