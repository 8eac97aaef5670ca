"""Write the embedded northern sector, ``geodata/north-sector/`` and its variant.

Run with the project's interpreter from anywhere::

    python geodata/_build/make_north_sector.py

The roads, sites and events are those of ``geodata/kidal-gao/`` (written by
``make_kidal_gao.py``), copied byte for byte. Kidal's fleet and manifest are
Kidal-Gao's; the fleets and manifests of Tessalit and Aguelhok are drawn from them
(same types and lot classes, seeded, so running it twice writes the same bytes),
and 200 cargo trucks wait in Gao: all representative, not the real lists
(``geodata/README.md``). ``north-sector-gao-north/`` is the same sector with the
trucks in Gao authorised to go north.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KIDAL = ROOT / "kidal-gao"
SEED = 20231021
#: Vehicles and lots drawn for each northern camp (representative sizes).
CAMPS = {"Tessalit": ("TSL", 70, 180), "Aguelhok": ("AGK", 50, 120)}
GAO_TRUCKS = 200  # "200 trucks waited in Gao" (MINUSMA 2023)


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


def _write(path: Path, cols: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def main() -> None:
    rng = np.random.default_rng(SEED)
    fcols, fleet = _rows(KIDAL / "fleet.csv")
    mcols, manifest = _rows(KIDAL / "manifest.csv")
    out_fleet = list(fleet)
    out_lots = list(manifest)
    for camp, (prefix, n_veh, n_lots) in CAMPS.items():
        pick = sorted(rng.choice(len(fleet), size=n_veh, replace=False))
        for k, i in enumerate(pick, start=1):
            out_fleet.append({**fleet[i], "id": f"{prefix}-{k:03d}", "camp": camp})
        pick = sorted(rng.choice(len(manifest), size=n_lots, replace=False))
        for k, i in enumerate(pick, start=1):
            row = {**manifest[i], "id": f"{prefix}-L{k:04d}", "camp": camp}
            out_lots.append(row)
    truck = next(r for r in fleet if r["type"] == "Cargo truck 6x6")
    for k in range(1, GAO_TRUCKS + 1):
        rel = f"{0.93 + 0.04 * rng.random():.3f}"
        out_fleet.append(
            {**truck, "id": f"GAO-{k:03d}", "camp": "Gao", "reliability": rel}
        )
    for name, northbound in (("north-sector", False), ("north-sector-gao-north", True)):
        out = ROOT / name
        out.mkdir(exist_ok=True)
        for f in ("roads.geojson", "sites.geojson", "events.csv"):
            shutil.copyfile(KIDAL / f, out / f)
        _write(out / "fleet.csv", fcols, out_fleet)
        _write(out / "manifest.csv", mcols, out_lots)
        toml = (ROOT / "_build" / "north_sector.toml").read_text(encoding="utf-8")
        toml = toml.replace("@NORTHBOUND@", "true" if northbound else "false")
        toml = toml.replace(
            "@TITLE@",
            "trucks in Gao authorised to go north" if northbound else "as in 2023",
        )
        (out / "scenario.toml").write_text(toml, encoding="utf-8")


if __name__ == "__main__":
    main()
