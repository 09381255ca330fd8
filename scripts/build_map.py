"""Regenerate the map's geometry: casestudies/mapdata/countries.json.

    npm ci                                  # world-atlas and i18n-iso-countries, pinned
    python scripts/build_map.py             # rewrites casestudies/mapdata/countries.json

Reads Natural Earth's 1:50m admin-0 countries (public domain) as the npm package
``world-atlas`` ships them (TopoJSON, ISO 3166-1 numeric ids), names each country
by its ISO alpha-2 code (``i18n-iso-countries``' code table), projects it twice
and simplifies it for the size it is drawn at:

- ``world``: Natural Earth I projection (the d3-geo formula), 960 px wide, no
  Antarctica;
- ``europe``: Lambert azimuthal equal-area centred on 15° E, 52° N, 600 px wide,
  clipped by its view box: where most of the atlas's cases are, legible.

Paths are SVG path data on a grid of 0.1 px, relative moves, after Douglas-Peucker
simplification (0.7 px). The app reads the file once and draws the SVG itself: no tiles, no
downloads at run time. Standard library only.
"""

import itertools
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = ROOT / "node_modules" / "world-atlas" / "countries-50m.json"
CODES = ROOT / "node_modules" / "i18n-iso-countries" / "codes.json"
OUT = ROOT / "casestudies" / "mapdata" / "countries.json"

TOLERANCE = 0.7  # px: about a screen pixel at the drawn size
GRID = 10  # path coordinates are tenths of a pixel: the view boxes are 10x the size
ANTARCTICA = "010"
EUROPE_CENTRE = (math.radians(15), math.radians(52))
EUROPE_BOX = (-28.0, 33.0, 48.0, 72.0)
WORLD_FRAME = (
    -180.0,
    -58.0,
    180.0,
    84.0,
)  # no Antarctica  # lon/lat a ring must reach to be drawn in Europe


def arcs_of(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute (lon, lat) arcs from TopoJSON's quantized, delta-encoded ones."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs, indices: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict, arcs) -> list[list[list[tuple[float, float]]]]:
    if geometry["type"] == "Polygon":
        return [[ring(arcs, r) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring(arcs, r) for r in polygon] for polygon in geometry["arcs"]]
    return []


def natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """d3-geo's geoNaturalEarth1Raw (Šavrič et al. 2015), in radians."""
    lam, phi = math.radians(lon), math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (
        0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4))
    )
    y = phi * (
        1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4))
    )
    return x, -y


def lambert_europe(lon: float, lat: float) -> tuple[float, float]:
    """Lambert azimuthal equal-area centred on EUROPE_CENTRE, in radians."""
    lam0, phi0 = EUROPE_CENTRE
    lam, phi = math.radians(lon) - lam0, math.radians(lat)
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)
    k = math.sqrt(2 / max(1 + cos_c, 1e-9))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam))
    return x, -y


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative (rings have thousands of points).

    A closed ring starts where it ends, which leaves no line to measure from: it is
    cut at its point farthest from the start and each half simplified.
    """
    if len(points) < 4:
        return points
    if points[0] == points[-1]:
        x0, y0 = points[0]
        far = max(
            range(len(points)), key=lambda i: math.hypot(points[i][0] - x0, points[i][1] - y0)
        )
        if 0 < far < len(points) - 1:
            return simplify(points[: far + 1], tolerance) + simplify(points[far:], tolerance)[1:]
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1e-12
        worst, index = 0.0, 0
        for i in range(first + 1, last):
            x, y = points[i]
            distance = abs(dy * (x - x1) - dx * (y - y1)) / length
            if distance > worst:
                worst, index = distance, i
        if worst > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def path_data(rings: list[list[tuple[float, float]]]) -> str:
    """Compact SVG path data: integer tenths of a pixel, each point relative to the last."""
    parts = []
    for points in rings:
        grid = [(round(x * GRID), round(y * GRID)) for x, y in points]
        # Drop repeats that rounding made (a ring of one cell is no ring).
        unique = [p for i, p in enumerate(grid) if i == 0 or p != grid[i - 1]]
        if len(unique) < 3:
            continue
        (x, y), steps = unique[0], []
        for nx, ny in unique[1:]:
            steps.append(f"{nx - x},{ny - y}")
            x, y = nx, ny
        parts.append(f"M{unique[0][0]},{unique[0][1]}l" + " ".join(steps) + "z")
    return "".join(parts)


def view(features, project, width: float, box=None) -> dict:
    """Project, fit to ``width`` (and to ``box``'s rings if given), simplify, write paths."""
    projected = {}
    for code, polys in features.items():
        rings = []
        for polygon in polys:
            for points in polygon:
                if box and not _reaches(points, box):
                    continue
                rings.append([project(lon, lat) for lon, lat in _unwrapped(points)])
        if rings:
            projected[code] = rings
    # The frame, not the shapes, sets the view: shapes cut at its edges stay cut.
    west, south, east, north = box or WORLD_FRAME
    lons, lats = (west, (west + east) / 2, east), (south, (south + north) / 2, north)
    corners = [project(lon, lat) for lon in lons for lat in lats]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    scale = width / (max(xs) - min(xs))
    height = round((max(ys) - min(ys)) * scale)
    x0, y0 = min(xs), min(ys)
    paths = {}
    for code, rings in projected.items():
        screen = [
            simplify([((x - x0) * scale, (y - y0) * scale) for x, y in r], TOLERANCE) for r in rings
        ]
        data = path_data(screen)
        if data:
            paths[code] = data
    view_box = f"0 0 {width * GRID:g} {height * GRID}"
    return {"viewBox": view_box, "paths": dict(sorted(paths.items()))}


def _unwrapped(points):
    """A ring that crosses the antimeridian (Chukotka, Fiji) kept on one side of it.

    Its western points move past 180° east, off the drawn area, instead of a band
    drawn across the whole map; the view box clips them.
    """
    if not any(abs(b[0] - a[0]) > 180 for a, b in itertools.pairwise(points)):
        return points
    return [(lon + 360 if lon < 0 else lon, lat) for lon, lat in points]


def _reaches(points, box) -> bool:
    west, south, east, north = box
    return any(west <= lon <= east and south <= lat <= north for lon, lat in points)


def main() -> int:
    if not TOPOLOGY.exists() or not CODES.exists():
        print(
            "node_modules lacks world-atlas or i18n-iso-countries: run `npm ci` first.",
            file=sys.stderr,
        )
        return 1
    topology = json.loads(TOPOLOGY.read_text())
    alpha2 = {numeric: code for code, _, numeric, *_ in json.loads(CODES.read_text())}
    arcs = arcs_of(topology)
    features, names = {}, {}
    unnamed = 0
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        if numeric == ANTARCTICA:
            continue
        # Territories without an ISO code (northern Cyprus, Kosovo, …) are drawn as
        # land without a country of the atlas: never a case, never a link.
        code = alpha2.get(numeric) or f"_{unnamed}"
        if code.startswith("_"):
            unnamed += 1
        features.setdefault(code, []).extend(polygons(geometry, arcs))
        names.setdefault(code, geometry.get("properties", {}).get("name", ""))
    data = {
        "source": "Natural Earth 1:50m admin-0 countries (public domain), via the npm package "
        "world-atlas; ISO codes from i18n-iso-countries. Regenerate: scripts/build_map.py.",
        "names": dict(sorted(names.items())),
        "world": view(features, natural_earth, 960),
        "europe": view(features, lambert_europe, 600, box=EUROPE_BOX),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size / 1000:.0f} kB, {len(names)} countries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
