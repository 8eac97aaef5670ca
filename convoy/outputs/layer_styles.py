"""The ``layer_styles`` table of a GeoPackage: each layer's default QGIS style.

The table has the schema QGIS itself creates; a style stored with
``useAsDefault = 1`` is the one QGIS applies when it opens the layer.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from convoy.errors import ScenarioError

#: The ``layer_styles`` table as QGIS creates it in a GeoPackage.
LAYER_STYLES_DDL = (
    "CREATE TABLE IF NOT EXISTS layer_styles ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
    "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
    "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
    "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)


def timestamp() -> str:
    """
    The time written into the GeoPackage's metadata, ISO 8601 UTC.

    ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds convention)
    when set, so that the same plan gives the same bytes; the clock otherwise.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (
        datetime.fromtimestamp(int(epoch), UTC)
        if epoch.isdigit()
        else datetime.now(UTC)
    )
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_layer_styles(
    path: Path,
    qml: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    *,
    update_time: str | None = None,
) -> None:
    """
    Store each layer's QML as its default style in the GeoPackage's ``layer_styles``.

    The table is created with QGIS' schema and registered in ``gpkg_contents`` as an
    attributes table, as QGIS does. ``f_table_schema`` is ``''`` (QGIS matches the
    empty string, not NULL) and ``f_geometry_column`` is the layer's geometry column
    read from ``gpkg_geometry_columns``.
    """
    now = update_time or timestamp()
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(LAYER_STYLES_DDL)
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, "
                "identifier, description, last_change) VALUES ('layer_styles', "
                "'attributes', 'layer_styles', 'QGIS layer styles', ?)",
                (now,),
            )
            geomcols = dict(
                con.execute(
                    "SELECT table_name, column_name FROM gpkg_geometry_columns"
                ).fetchall()
            )
            for name, doc in qml.items():
                if name not in geomcols:
                    msg = f"{path}: no spatial layer named {name!r} to style"
                    raise ScenarioError(msg)
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                    "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                    "useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '', ?)",
                    (
                        name,
                        geomcols[name],
                        name,
                        doc,
                        (descriptions or {}).get(name, ""),
                        now,
                    ),
                )
    finally:
        con.close()
