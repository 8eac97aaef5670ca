"""The ``[files]`` table of ``scenario.toml``: paths, layers and sheets, checked.

A value is a path relative to the scenario folder (or absolute), optionally
followed by ``|layername=NAME`` (roads, sites, events) or ``|sheet=NAME`` (fleet,
manifest); see ``docs/scenario-format.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from convoy._problems import Problems
from convoy.scenario import ScenarioFiles

#: Keys of ``[files]`` and their defaults (the conventional file names).
FILE_DEFAULTS: dict[str, str] = {
    "roads": "roads.geojson",
    "sites": "sites.geojson",
    "events": "events.csv",
    "fleet": "fleet.csv",
    "manifest": "manifest.csv",
}
#: Keys of ``[files]`` that are not paths, and their defaults.
FILE_OPTIONS: dict[str, str] = {
    "events_format": "",
    "events_date_field": "event_date",
    "events_type_field": "event_type",
}

#: What a path in ``[files]`` must be (messages start with it).
INSIDE_FOLDER = "a path inside the scenario folder, or an absolute path"


def _escapes(value: str) -> bool:
    """
    Whether a relative path climbs out of the scenario folder (``../x.csv``).

    Such a path depends on where the folder is put and can reach any file; a file
    outside the folder must be named by its absolute path.

    Examples
    --------
    >>> _escapes("../x.csv"), _escapes("data/../fleet.csv"), _escapes("/srv/x.csv")
    (True, False, False)
    """
    if Path(value).is_absolute():
        return False
    return Path(os.path.normpath(value)).parts[:1] == ("..",)


#: What may follow a file's path after ``|``, by ``[files]`` key: a layer of a
#: vector file, a sheet of a spreadsheet.
_PART_KEYS: dict[str, str] = {
    "roads": "layername",
    "sites": "layername",
    "events": "layername",
    "fleet": "sheet",
    "manifest": "sheet",
}


def _split_part(key: str, value: str) -> tuple[str, str, str]:
    """
    A ``[files]`` value split into (path, layer or sheet, what is wrong or '').

    Examples
    --------
    >>> _split_part("roads", "data.gpkg|layername=roads")
    ('data.gpkg', 'roads', '')
    >>> _split_part("fleet", "fleet.xlsx|sheet=Vehicles")
    ('fleet.xlsx', 'Vehicles', '')
    >>> _split_part("fleet", "fleet.csv")
    ('fleet.csv', '', '')
    """
    if "|" not in value:
        return value, "", ""
    path, _, part = value.partition("|")
    name, eq, chosen = part.partition("=")
    want = _PART_KEYS[key]
    if not eq or name.strip().lower() != want or not chosen.strip():
        return path.strip(), "", f"'PATH|{want}=NAME' after the path"
    return path.strip(), chosen.strip(), ""


def read_files(
    doc: Mapping[str, Any], folder: Path, toml: Path, label: str, problems: Problems
) -> ScenarioFiles:
    """
    The ``[files]`` table: paths relative to the scenario file, checked.

    Every bad value is recorded in ``problems`` (naming the key); a path that
    climbs out of the folder is recorded with an ``expected`` starting with
    :data:`INSIDE_FOLDER`. Keys left out take :data:`FILE_DEFAULTS`.

    Examples
    --------
    >>> files = read_files({"files": {"roads": "geo.gpkg|layername=roads"}},
    ...                    folder, folder / "scenario.toml", "scenario.toml",
    ...                    Problems())  # doctest: +SKIP
    >>> files.layer("roads")  # doctest: +SKIP
    'roads'
    """
    table = doc.get("files")
    where = "[files]"
    values: dict[str, str] = {**FILE_DEFAULTS, **FILE_OPTIONS}
    layers: dict[str, str] = {}
    if not isinstance(table, dict):
        problems.add(
            label,
            where,
            "",
            "a [files] table naming the input files",
            "none" if table is None else repr(table),
        )
        table = {}
    allowed = sorted([*FILE_DEFAULTS, *FILE_OPTIONS])
    for key, value in table.items():
        if key not in values:
            problems.add(label, where, key, f"one of {allowed}", "an unknown key")
        elif not isinstance(value, str) or (key in FILE_DEFAULTS and not value.strip()):
            problems.add(label, where, key, "a file path (a string)", repr(value))
        elif key in FILE_DEFAULTS:
            path, part, wrong = _split_part(key, value.strip())
            if wrong:
                problems.add(label, where, key, wrong, repr(value.strip()))
            elif _escapes(path):
                problems.add(label, where, key, INSIDE_FOLDER, repr(path))
            else:
                values[key] = path
                if part:
                    layers[key] = part
        else:
            values[key] = value.strip()
    fmt = values["events_format"]
    if fmt and fmt not in ("acled", "ucdp", "layer"):
        problems.add(
            label,
            where,
            "events_format",
            "one of ['acled', 'ucdp', 'layer']",
            repr(fmt),
        )
    return ScenarioFiles(
        scenario=toml,
        **{k: (folder / values[k]).resolve() for k in FILE_DEFAULTS},
        events_format=fmt,
        events_date_field=values["events_date_field"],
        events_type_field=values["events_type_field"],
        layers=tuple(layers.items()),
    )
