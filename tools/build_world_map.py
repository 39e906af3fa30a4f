"""Build ``src/pinchpoint/reports/world_110m.json``: country outlines as SVG paths for offline choropleths.

Source: Natural Earth 1:110m and 1:50m admin-0 countries (public domain, naturalearthdata.com), as TopoJSON in the
npm package ``world-atlas`` 2.x (ISC licence, Mike Bostock). Usage, with the registry reachable:

    npm pack world-atlas@2 && mkdir wa && tar xzf world-atlas-2.0.2.tgz -C wa
    python tools/build_world_map.py wa/package

Outlines come from the 1:110m file, projected with the Equal Earth projection (Šavrič, Patterson and Jenny,
2018), rounded to 0.1 px. Countries too small for 1:110m (Singapore, Malta, Bahrain...) are taken from 1:50m as a
marker at their centroid, so they still show a colour. Antarctica is dropped. Ids are ISO 3166 alpha-3.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

import pycountry

WIDTH = 960.0
OUT = Path(__file__).resolve().parents[1] / "src" / "pinchpoint" / "reports" / "world_110m.json"

# Equal Earth constants (Šavrič et al. 2018, International Journal of Geographical Information Science 33:3).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (3 * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


X_MAX = equal_earth(180, 0)[0]
Y_MAX = equal_earth(0, 90)[1]
SCALE = WIDTH / (2 * X_MAX)


def to_px(lon: float, lat: float) -> tuple[float, float]:
    x, y = equal_earth(lon, lat)
    return (x + X_MAX) * SCALE, (Y_MAX - y) * SCALE


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indices: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def polygons(geom: dict[str, Any]) -> list[list[list[int]]]:
    if geom["type"] == "Polygon":
        return [geom["arcs"]]
    if geom["type"] == "MultiPolygon":
        return list(geom["arcs"])
    return []


def iso3(geom: dict[str, Any]) -> str | None:
    if "id" not in geom:
        return None
    country = pycountry.countries.get(numeric=str(geom["id"]).zfill(3))
    return country.alpha_3 if country else None


def unwrap(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Keep a ring that crosses the antimeridian (Russia, Fiji) on one side: its far part runs past the edge
    and is clipped by the view box, instead of a line drawn across the whole map."""
    if not any(abs(a[0] - b[0]) > 180 for a, b in itertools.pairwise(pts)):
        return pts
    east = sum(1 for lon, _ in pts if lon > 0) >= len(pts) / 2
    return [(lon + 360 if east and lon < 0 else lon - 360 if not east and lon > 0 else lon, lat) for lon, lat in pts]


def path_d(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for pts in map(unwrap, rings):
        px = [to_px(lon, lat) for lon, lat in pts]
        cmds, last = [], None
        for x, y in px:
            cur = (round(x, 1), round(y, 1))
            if cur != last:
                cmds.append(f"{cur[0]:g},{cur[1]:g}")
                last = cur
        if len(cmds) >= 3:
            parts.append("M" + "L".join(cmds) + "Z")
    return "".join(parts)


def centroid(rings: list[list[tuple[float, float]]]) -> tuple[float, float]:
    pts = [p for r in rings for p in r]
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def main(folder: Path) -> None:
    small = json.loads((folder / "countries-110m.json").read_text())
    large = json.loads((folder / "countries-50m.json").read_text())
    shapes: dict[str, str] = {}
    arcs = decode_arcs(small)
    for geom in small["objects"]["countries"]["geometries"]:
        code = iso3(geom)
        if code is None or code == "ATA":
            continue
        rings = [ring(arcs, r) for poly in polygons(geom) for r in poly]
        shapes[code] = shapes.get(code, "") + path_d(rings)
    markers: dict[str, list[float]] = {}
    arcs50 = decode_arcs(large)
    for geom in large["objects"]["countries"]["geometries"]:
        code = iso3(geom)
        if code is None or code in shapes or code == "ATA":
            continue
        outer = [ring(arcs50, poly[0]) for poly in polygons(geom)]
        if not outer:
            continue
        biggest = max(outer, key=len)
        x, y = to_px(*centroid([biggest]))
        markers[code] = [round(x, 1), round(y, 1)]
    height = round(2 * Y_MAX * SCALE, 1)
    doc = {
        "source": "Natural Earth 1:110m and 1:50m admin-0 countries (public domain), via the world-atlas 2.0.2 npm "
                  "package (ISC); Equal Earth projection; built by tools/build_world_map.py",
        "viewbox": [0, 0, WIDTH, height], "shapes": dict(sorted(shapes.items())),
        "markers": dict(sorted(markers.items())),
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    print(f"{OUT}: {len(shapes)} outlines, {len(markers)} markers, {OUT.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "wa/package"))
