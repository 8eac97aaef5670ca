"""The print layout of plan.qgz: map, legend, scale bar, title and march table.

Written as QGIS 3.22 layout XML (``<Layouts><Layout>``) on an A4 landscape page;
QGIS fills every property not written here with its own default. The march table
is an HTML frame (``QgsLayoutItemHtml`` in manual mode), so it needs no layer.
Positions and sizes are in millimetres from the page's top-left corner.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

#: A4 landscape, mm.
PAGE_MM = (297.0, 210.0)

#: Item type codes of QgsLayoutItemRegistry (QGIS 3.22).
PAGE, MAP, LABEL, LEGEND, SCALEBAR, FRAME, HTML = (
    65638,
    65639,
    65641,
    65642,
    65646,
    65647,
    65648,
)

#: Name of the layout in the project's layout manager.
LAYOUT_NAME = "Withdrawal plan (A4)"

_MAP_UUID = "{c0a1b2c3-0000-4000-8000-000000000001}"
_HTML_UUID = "{c0a1b2c3-0000-4000-8000-000000000006}"
_FRAME_UUID = "{c0a1b2c3-0000-4000-8000-000000000007}"


def fit_extent(extent: Sequence[float], aspect: float) -> tuple[float, ...]:
    """
    ``extent`` widened (never cut) about its centre to width/height ``aspect``.

    The map item then shows all of ``extent`` at the item's shape.
    """
    x0, y0, x1, y1 = (float(v) for v in extent)
    w, h = x1 - x0, y1 - y0
    if w <= 0 or h <= 0:
        return (x0, y0, x1, y1)
    if w / h < aspect:
        grow = (h * aspect - w) / 2.0
        return (x0 - grow, y0, x1 + grow, y1)
    grow = (w / aspect - h) / 2.0
    return (x0, y0 - grow, x1, y1 + grow)


def _item(
    kind: int,
    uuid: str,
    pos: tuple[float, float],
    size: tuple[float, float],
    attrs: str = "",
    body: str = "",
    *,
    frame: bool = False,
) -> str:
    x, y = pos
    w, h = size
    return (
        f'<LayoutItem type="{kind}" uuid="{uuid}" templateUuid="{uuid}" id="" '
        f'position="{x},{y},mm" positionOnPage="{x},{y},mm" size="{w},{h},mm" '
        f'referencePoint="0" zValue="1" visibility="1" frame="{int(frame)}" '
        'background="1" '
        f'blendMode="0" opacity="1" excludeFromExports="0" {attrs}>'
        '<FrameColor red="0" green="0" blue="0" alpha="255"/>'
        '<BackgroundColor red="255" green="255" blue="255" alpha="255"/>'
        f"<LayoutObject/>{body}</LayoutItem>"
    )


def layout_xml(
    title: str,
    extent: Sequence[float],
    march_table_html: str,
) -> str:
    """
    The ``<Layouts>`` element of the project: one A4 landscape print layout.

    Parameters
    ----------
    title
        Text of the title label.
    extent
        (xmin, ymin, xmax, ymax) of the map item, in the project CRS.
    march_table_html
        HTML shown in the march-table frame (a ``<table>``).

    The legend follows the project's layer tree (groups and layers as shown).
    """
    page_w = PAGE_MM[0]
    map_pos, map_size = (8.0, 22.0), (190.0, 150.0)
    page = (
        "<PageCollection>"
        + _item(PAGE, "{c0a1b2c3-0000-4000-8000-000000000000}", (0, 0), PAGE_MM)
        + '<GuideCollection visible="1"/></PageCollection>'
    )
    x0, y0, x1, y1 = fit_extent(extent, map_size[0] / map_size[1])
    map_item = _item(
        MAP,
        _MAP_UUID,
        map_pos,
        map_size,
        'keepLayerSet="false" drawCanvasItems="true" mapRotation="0" '
        'labelMargin="0,mm" followPreset="false" followPresetName=""',
        f'<Extent xmin="{x0!r}" ymin="{y0!r}" xmax="{x1!r}" ymax="{y1!r}"/><LayerSet/>',
        frame=True,
    )
    title_item = _item(
        LABEL,
        "{c0a1b2c3-0000-4000-8000-000000000002}",
        (8.0, 6.0),
        (page_w - 16.0, 12.0),
        f'labelText={quoteattr(title)} htmlState="0" halign="1" valign="32" '
        'marginX="0" marginY="0"',
        '<LabelFont description="Sans Serif,18,-1,5,75,0,0,0,0,0" style="Bold"/>'
        '<FontColor red="0" green="0" blue="0" alpha="255"/>',
    )
    legend = _item(
        LEGEND,
        "{c0a1b2c3-0000-4000-8000-000000000003}",
        (204.0, 72.0),
        (85.0, 130.0),
        f'map_uuid="{_MAP_UUID}" title="Legend" resizeToContents="0" '
        'legendFilterByAtlas="0" symbolWidth="5" symbolHeight="3" wrapChar="" '
        'columnCount="2" splitLayer="1" equalColumnWidth="0" columnSpace="2"',
        '<styles><style name="title" marginBottom="2">'
        '<styleFont description="Sans Serif,9,-1,5,75,0,0,0,0,0" style="Bold"/>'
        '</style><style name="group" marginTop="2">'
        '<styleFont description="Sans Serif,7,-1,5,75,0,0,0,0,0" style="Bold"/>'
        '</style><style name="subgroup" marginTop="1">'
        '<styleFont description="Sans Serif,6,-1,5,50,0,0,0,0,0" style=""/>'
        '</style><style name="symbolLabel" marginTop="0.5">'
        '<styleFont description="Sans Serif,6,-1,5,50,0,0,0,0,0" style=""/>'
        "</style></styles>",
    )
    scalebar = _item(
        SCALEBAR,
        "{c0a1b2c3-0000-4000-8000-000000000004}",
        (10.0, 176.0),
        (80.0, 12.0),
        # segments sized by QGIS to a round number of km, 40 to 80 mm wide
        f'mapUuid="{_MAP_UUID}" style="Single Box" numSegments="2" '
        'numSegmentsLeft="0" numUnitsPerSegment="25" segmentSizeMode="1" '
        'minBarWidth="40" maxBarWidth="80" '
        'unitType="km" unitLabel="km" numMapUnitsPerScaleBarUnit="1" height="3" '
        'labelBarSpace="3" boxContentSpace="1" alignment="0"',
    )
    note = _item(
        LABEL,
        "{c0a1b2c3-0000-4000-8000-000000000005}",
        (8.0, 192.0),
        (190.0, 10.0),
        'labelText="Times UTC. Risk: expected incidents. Generated by convoy." '
        'htmlState="0" halign="1" valign="32" marginX="0" marginY="0"',
        '<LabelFont description="Sans Serif,8,-1,5,50,0,0,0,0,0" style=""/>'
        '<FontColor red="60" green="60" blue="60" alpha="255"/>',
    )
    frame = _item(
        FRAME,
        _FRAME_UUID,
        (204.0, 22.0),
        (85.0, 48.0),
        f'multiFrameTemplateUuid="{_HTML_UUID}" multiFrame="{_HTML_UUID}" '
        'sectionX="0" sectionY="0" sectionWidth="85" sectionHeight="48" '
        'hidePageIfEmpty="0" hideBackgroundIfEmpty="0"',
    )
    html = (
        f'<LayoutMultiFrame type="{HTML}" uuid="{_HTML_UUID}" '
        f'templateUuid="{_HTML_UUID}" url="" contentMode="1" maxBreakDistance="10" '
        'resizeMode="0" useSmartBreaks="true" evaluateExpressions="false" '
        f'stylesheetEnabled="false" stylesheet="" html={quoteattr(march_table_html)}>'
        f'<childFrame uuid="{_FRAME_UUID}" templateUuid="{_FRAME_UUID}"/>'
        "<LayoutObject/></LayoutMultiFrame>"
    )
    return (
        "<Layouts>"
        f'<Layout name={quoteattr(LAYOUT_NAME)} units="mm" printResolution="300" '
        'worldFileMap="">'
        '<Snapper snapToGrid="0" snapToGuides="1" snapToItems="1" tolerance="5"/>'
        '<Grid resolution="10" resUnits="mm" offsetX="0" offsetY="0" '
        'offsetUnits="mm"/>'
        f"{page}{map_item}{title_item}{legend}{scalebar}{note}{frame}{html}"
        "</Layout></Layouts>"
    )


def march_table_html(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A small HTML table (8 pt) for the layout's march-table frame."""
    # the font is set on every cell too: QGIS without QtWebKit renders the frame
    # with Qt's rich text, which does not inherit it from <body>
    cell = 'style="font-size:6pt"'
    head = "".join(f"<th {cell}>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td {cell}>{escape(c)}</td>" for c in r) + "</tr>"
        for r in rows
    )
    style = (
        "<style>body{font-family:sans-serif;font-size:6pt;margin:0}"
        "table{border-collapse:collapse;width:100%}"
        "th,td{border:0.2mm solid #999;padding:0.5mm 1mm;text-align:left}"
        "th{background:#e5e5e5}</style>"
    )
    return (
        f"<html><head>{style}</head><body><b>March table (UTC)</b>"
        f"<table><tr>{head}</tr>{body}</table></body></html>"
    )
