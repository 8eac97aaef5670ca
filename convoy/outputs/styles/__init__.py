"""QGIS styles (QML) for the layers of plan.gpkg, built from the data they style.

The documents follow QGIS 3.22's QML format (``<qgis version="3.22.0">`` with a
``renderer-v2`` element and, where a layer is labelled, a ``labeling`` element), so
QGIS 3.22 and later read them unchanged. They are stored as each layer's default
style in the GeoPackage's ``layer_styles`` table (see :mod:`convoy.outputs.gpkg`) and
embedded in the QGIS project (see :mod:`convoy.outputs.qgis_project`).

Colours are ColorBrewer palettes (Brewer, colorbrewer2.org): "Set1"/"Dark2" for
categories, "PuRd" for the route's risk classes (the raster uses "YlOrRd"); sizes
are in millimetres on the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import numpy as np

#: QGIS version written in the QML header; the documents use nothing newer.
QGIS_VERSION = "3.22.0"

#: Geometry type codes of ``<layerGeometryType>``.
GEOMETRY_CODES = {"point": 0, "line": 1, "polygon": 2}

#: Plan keys of plan.json and how the route layer draws them: label, colour (RGB),
#: width in mm, dashed, offset in mm. The optimised route is wide: the risk pieces
#: (2 mm) draw on top of it, so it shows as a green casing around them. Baselines
#: often share a road, so each is drawn offset to its own side of the centre line.
PLAN_STYLES: dict[str, tuple[str, tuple[int, int, int], float, bool, float]] = {
    "optimised": ("Optimised plan", (0, 109, 44), 3.6, False, 0.0),
    "depart_at_once": ("Baseline: depart at once", (228, 26, 28), 0.8, True, -1.0),
    "daylight_only": ("Baseline: daylight only", (255, 127, 0), 0.8, True, 0.0),
    "historical": ("Baseline: historical profile", (117, 112, 179), 0.8, True, 1.0),
}

#: Site kinds: label, marker shape, colour, size in mm.
SITE_STYLES: dict[str, tuple[str, str, tuple[int, int, int], float]] = {
    "camp": ("Camp", "square", (35, 35, 35), 3.4),
    "destination": ("Destination", "star", (0, 109, 44), 4.6),
    "halt": ("Halt (laager) site", "circle", (33, 113, 181), 3.0),
    "checkpoint": ("Checkpoint", "triangle", (115, 115, 115), 2.6),
}

#: Threat channels of the events layer: label, marker shape, colour, size in mm.
CHANNEL_STYLES: dict[str, tuple[str, str, tuple[int, int, int], float]] = {
    "ied": ("IED / explosive", "cross2", (203, 24, 29), 2.0),
    "ambush": ("Ambush / attack by fire", "circle", (253, 141, 60), 1.6),
    "none": ("Not in the risk model", "circle", (189, 189, 189), 1.0),
}

#: Opacity (0-255) of event markers: a theatre has thousands, often stacked.
EVENT_ALPHA = 150

#: PuRd, 5 classes (ColorBrewer), low to high risk: purple-red, so the route's risk
#: stands out on the risk raster's yellow-red.
RISK_RAMP: tuple[tuple[int, int, int], ...] = (
    (241, 238, 246),
    (215, 181, 216),
    (223, 101, 176),
    (221, 28, 119),
    (152, 0, 67),
)


def _rgba(rgb: tuple[int, int, int], alpha: int = 255) -> str:
    return f"{rgb[0]},{rgb[1]},{rgb[2]},{alpha}"


def _options(props: dict[str, str]) -> str:
    items = "".join(
        f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>'
        for k, v in sorted(props.items())
    )
    return f'<Option type="Map">{items}</Option>'


_DD = (
    '<data_defined_properties><Option type="Map"><Option type="QString" name="name" '
    'value=""/><Option name="properties"/><Option type="QString" name="type" '
    'value="collection"/></Option></data_defined_properties>'
)


def line_symbol(
    name: str,
    rgb: tuple[int, int, int],
    width_mm: float,
    *,
    dashed: bool = False,
    alpha: int = 255,
    offset_mm: float = 0.0,
) -> str:
    """
    A ``<symbol type="line">`` drawing a simple line.

    Parameters
    ----------
    name
        Symbol name the renderer refers to (``"0"``, ``"1"``, ...).
    rgb
        Colour, 0-255 per channel.
    width_mm
        Line width on the map, in millimetres.
    dashed
        Draw a dash pattern (4 mm dash, 2 mm gap) instead of a solid line.
    alpha
        Opacity 0-255.
    offset_mm
        Parallel offset of the line, in millimetres (positive to the left).
    """
    props = {
        "align_dash_pattern": "0",
        "capstyle": "round",
        "customdash": "4;2",
        "customdash_unit": "MM",
        "draw_inside_polygon": "0",
        "joinstyle": "round",
        "line_color": _rgba(rgb, alpha),
        "line_style": "solid",
        "line_width": f"{width_mm:g}",
        "line_width_unit": "MM",
        "offset": f"{offset_mm:g}",
        "offset_unit": "MM",
        "ring_filter": "0",
        "tweak_dash_pattern_on_corners": "0",
        "use_custom_dash": "1" if dashed else "0",
    }
    return (
        f'<symbol type="line" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0">{_DD}<layer class="SimpleLine" enabled="1" locked="0" '
        f'pass="0">{_options(props)}</layer></symbol>'
    )


def marker_symbol(
    name: str,
    shape: str,
    rgb: tuple[int, int, int],
    size_mm: float,
    *,
    outline: tuple[int, int, int] = (35, 35, 35),
    alpha: int = 255,
) -> str:
    """
    A ``<symbol type="marker">`` drawing a simple marker.

    Parameters
    ----------
    name
        Symbol name the renderer refers to.
    shape
        A QGIS simple-marker shape: ``circle``, ``square``, ``triangle``, ``star``,
        ``diamond``, ``cross2`` (an x) ...
    rgb
        Fill colour (and stroke colour for the line-only shapes).
    size_mm
        Marker size on the map, in millimetres.
    outline
        Outline colour.
    alpha
        Opacity 0-255 of fill and outline.
    """
    stroke = rgb if shape in ("cross", "cross2", "line", "x") else outline
    props = {
        "angle": "0",
        "cap_style": "square",
        "color": _rgba(rgb, alpha),
        "horizontal_anchor_point": "1",
        "joinstyle": "bevel",
        "name": shape,
        "offset": "0,0",
        "offset_unit": "MM",
        "outline_color": _rgba(stroke, alpha),
        "outline_style": "solid",
        "outline_width": "0.6" if shape in ("cross", "cross2", "x") else "0.3",
        "outline_width_unit": "MM",
        "scale_method": "diameter",
        "size": f"{size_mm:g}",
        "size_unit": "MM",
        "vertical_anchor_point": "1",
    }
    return (
        f'<symbol type="marker" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0">{_DD}<layer class="SimpleMarker" enabled="1" locked="0" '
        f'pass="0">{_options(props)}</layer></symbol>'
    )


def labeling(
    expression: str,
    *,
    geometry: str = "point",
    size_pt: float = 8.0,
    rgb: tuple[int, int, int] = (20, 20, 20),
    priority: int = 5,
) -> str:
    """
    A ``<labeling type="simple">`` element labelling each feature by an expression.

    Parameters
    ----------
    expression
        QGIS expression giving the label text.
    geometry
        ``"point"`` (labels around the point) or ``"line"`` (labels along the line).
    size_pt
        Font size, in points.
    rgb
        Text colour.
    priority
        Label priority 0-10 when labels compete for space.
    """
    placement = "2" if geometry == "line" else "6"  # Line / OrderedPositionsAroundPoint
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(expression)} isExpression="1" '
        f'fontFamily="DejaVu Sans" fontSize="{size_pt:g}" fontSizeUnit="Point" '
        'fontWeight="50" fontItalic="0" fontUnderline="0" fontStrikeout="0" '
        'fontLetterSpacing="0" fontWordSpacing="0" fontKerning="1" namedStyle="" '
        f'textColor="{_rgba(rgb)}" textOpacity="1" multilineHeight="1" '
        'allowHtml="0" capitalization="0" blendMode="0" '
        'previewBkgrdColor="255,255,255,255">'
        "<families/>"
        '<text-buffer bufferDraw="1" bufferSize="0.7" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" '
        'bufferJoinStyle="128" bufferBlendMode="0" '
        'bufferSizeMapUnitScale="3x:0,0,0,0,0,0"/>'
        "</text-style>"
        '<text-format wrapChar="|" multilineAlign="0" autoWrapLength="0" '
        'useMaxLineLengthForAutoWrap="1" addDirectionSymbol="0" formatNumbers="0" '
        'decimals="3" plussign="0" reverseDirectionSymbol="0" placeDirectionSymbol="0" '
        'leftDirectionSymbol="&lt;" rightDirectionSymbol="&gt;"/>'
        f'<placement placement="{placement}" placementFlags="10" dist="1.2" '
        f'distUnits="MM" quadOffset="4" offsetType="0" priority="{priority}" '
        'predefinedPositionOrder="TR,TL,BR,BL,R,L,TSR,BSR" repeatDistance="0" '
        'repeatDistanceUnits="MM" centroidInside="0" centroidWhole="0" '
        'fitInPolygonOnly="0" '
        'maxCurvedCharAngleIn="25" maxCurvedCharAngleOut="-25" overrunDistance="0" '
        'overrunDistanceUnit="MM" xOffset="0" yOffset="0" offsetUnits="MM" '
        'rotationAngle="0" '
        'preserveRotation="1" layerType="'
        + ("LineGeometry" if geometry == "line" else "PointGeometry")
        + '" '
        'lineAnchorPercent="0.5" lineAnchorType="0" lineAnchorClipping="0" '
        'allowDegraded="0" geometryGenerator="" geometryGeneratorEnabled="0" '
        'geometryGeneratorType="PointGeometry" polygonPlacementFlags="2"/>'
        '<rendering obstacle="1" obstacleFactor="1" obstacleType="1" displayAll="0" '
        'drawLabels="1" labelPerPart="0" limitNumLabels="0" maxNumLabels="2000" '
        'mergeLines="0" minFeatureSize="0" scaleVisibility="0" scaleMin="0" '
        'scaleMax="0" '
        'fontLimitPixelSize="0" fontMinPixelSize="3" fontMaxPixelSize="10000" '
        'upsidedownLabels="0" zIndex="0" unplacedVisibility="0"/>'
        '<dd_properties><Option type="Map">'
        '<Option type="QString" name="name" value=""/>'
        '<Option name="properties"/><Option type="QString" name="type" '
        'value="collection"/></Option></dd_properties>'
        "</settings></labeling>"
    )


@dataclass(frozen=True, slots=True)
class Category:
    """One class of a categorised renderer: the attribute value, legend text, symbol."""

    value: str
    label: str
    symbol: str


def categorized_renderer(
    attr: str, categories: Sequence[Category], default_symbol: str
) -> str:
    """
    A ``renderer-v2`` of type ``categorizedSymbol`` on attribute ``attr``.

    Symbols must be named ``"0"``, ``"1"``, ... in the order of ``categories``;
    ``default_symbol`` (named anything) becomes the source symbol.
    """
    cats = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(c.value)} '
        f'label={quoteattr(c.label)} type="string"/>'
        for i, c in enumerate(categories)
    )
    syms = "".join(c.symbol for c in categories)
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} '
        'symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">'
        f"<categories>{cats}</categories><symbols>{syms}</symbols>"
        f"<source-symbol>{default_symbol}</source-symbol>"
        "<rotation/><sizescale/></renderer-v2>"
    )


def graduated_renderer(
    attr: str,
    breaks: Sequence[float],
    symbols: Sequence[str],
    labels: Sequence[str],
    source_symbol: str,
) -> str:
    """
    A ``renderer-v2`` of type ``graduatedSymbol`` on attribute ``attr``.

    ``breaks`` has one more value than ``symbols``; symbols are named ``"0"``, ...
    """
    ranges = "".join(
        f'<range render="true" symbol="{i}" lower="{breaks[i]:.10g}" '
        f'upper="{breaks[i + 1]:.10g}" label={quoteattr(labels[i])}/>'
        for i in range(len(symbols))
    )
    return (
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(attr)} '
        'graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" '
        'enableorderby="0" referencescale="-1">'
        f"<ranges>{ranges}</ranges><symbols>{''.join(symbols)}</symbols>"
        f"<source-symbol>{source_symbol}</source-symbol>"
        '<classificationMethod id="Quantile"><symmetricMode enabled="0" '
        'symmetrypoint="0" astride="0"/><labelFormat format="%1 - %2" '
        'labelprecision="4" trimtrailingzeroes="1"/><parameters><Option/></parameters>'
        "<extraInformation/></classificationMethod>"
        "<rotation/><sizescale/></renderer-v2>"
    )


def single_renderer(symbol: str) -> str:
    """A ``renderer-v2`` of type ``singleSymbol`` (``symbol`` named ``"0"``)."""
    return (
        f'<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" '
        f'enableorderby="0" referencescale="-1"><symbols>{symbol}</symbols>'
        "<rotation/><sizescale/></renderer-v2>"
    )


def qml_document(renderer: str, geometry: str, label: str | None = None) -> str:
    """
    A whole QML style document: renderer, optional labeling, geometry type.

    Parameters
    ----------
    renderer
        A ``renderer-v2`` element.
    geometry
        ``"point"``, ``"line"`` or ``"polygon"``.
    label
        A ``labeling`` element, or None for no labels.
    """
    enabled = "1" if label else "0"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling" '
        f'labelsEnabled="{enabled}">\n{renderer}\n{label or ""}\n'
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        f"<layerGeometryType>{GEOMETRY_CODES[geometry]}</layerGeometryType>\n</qgis>\n"
    )


# ----------------------------------------------------------------- layer styles
def route_qml(plans: Sequence[str]) -> str:
    """Routes categorised by plan: the optimised plan bold, baselines dashed."""
    cats = []
    for i, key in enumerate(plans):
        label, rgb, width, dashed, offset = PLAN_STYLES.get(
            key, (key.replace("_", " "), (99, 99, 99), 0.8, True, 0.0)
        )
        cats.append(
            Category(
                key,
                label,
                line_symbol(str(i), rgb, width, dashed=dashed, offset_mm=offset),
            )
        )
    return qml_document(
        categorized_renderer("plan", cats, line_symbol("0", (99, 99, 99), 0.8)),
        "line",
        # only the optimised plan is labelled: the baselines share its towns
        labeling(
            'if("plan" = \'optimised\', "label", NULL)',
            geometry="line",
            size_pt=7.5,
            priority=3,
        ),
    )


def risk_classes(values: np.ndarray, num_classes: int = 5) -> list[float]:
    """
    Class breaks for the risk layer: quantiles of the positive values, rounded.

    Returns ``num_classes + 1`` strictly increasing breaks covering every value
    (fewer when the values take fewer distinct levels).
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [0.0, 1.0]
    qs = np.quantile(v, np.linspace(0.0, 1.0, num_classes + 1))
    breaks = [float(f"{q:.3g}") for q in qs]
    breaks[0] = min(breaks[0], float(v.min()))
    breaks[-1] = max(breaks[-1], float(v.max()))
    out = [breaks[0]]
    for b in breaks[1:]:
        if b > out[-1]:
            out.append(b)
    if len(out) == 1:
        out.append(out[0] + max(abs(out[0]), 1e-9))
    return out


#: Units the risk legend may read in: factor on "per km" and its text.
RISK_UNITS: tuple[tuple[float, str], ...] = (
    (1.0, "per km"),
    (100.0, "per 100 km"),
    (1e4, "per 10,000 km"),
    (1e6, "per million km"),
    (1e8, "per 100 million km"),
    (1e10, "per 10 billion km"),
    (1e12, "per trillion km"),
)


def risk_unit(top: float) -> tuple[float, str]:
    """The smallest unit of :data:`RISK_UNITS` in which ``top`` reads 1 or more."""
    for factor, unit in RISK_UNITS:
        if top * factor >= 1.0:
            return factor, unit
    return RISK_UNITS[-1]


def _round2(x: float) -> str:
    """``x`` to two significant digits, without an exponent (e.g. 0.083, 30, 2.9)."""
    if x == 0:
        return "0"
    return f"{float(f'{x:.2g}'):,.{max(0, 1 - int(np.floor(np.log10(abs(x)))))}f}"


def _ceil2(x: float) -> float:
    """``x`` rounded up to two significant digits."""
    if x <= 0:
        return 0.0
    step = 10.0 ** (np.floor(np.log10(x)) - 1)
    return float(np.ceil(x / step - 1e-9) * step)


def readable_breaks(breaks: Sequence[float]) -> list[float]:
    """
    Class breaks a reader takes in, strictly increasing.

    0 at the bottom (for non-negative values), inner breaks to two significant
    digits, the top rounded up. Every value the input breaks covered stays covered.
    """
    lo = 0.0 if breaks[0] >= 0 else breaks[0]
    top = _ceil2(breaks[-1]) if breaks[-1] > 0 else breaks[-1]
    out = [lo]
    for b in breaks[1:-1]:
        r = float(f"{b:.2g}")
        if out[-1] < r < top:
            out.append(r)
    if top > out[-1]:
        out.append(top)
    return out


def route_risk_qml(risk_per_km: np.ndarray) -> str:
    """
    Route pieces graduated by expected incidents per km (PuRd, quantiles).

    The legend reads in the unit of :data:`RISK_UNITS` where the top class is 1
    or more (e.g. "0.5 - 2.9 per 100 km"), with breaks from :func:`readable_breaks`.
    """
    breaks = risk_classes(risk_per_km, len(RISK_RAMP))
    factor, unit = risk_unit(breaks[-1])
    shown = readable_breaks([b * factor for b in breaks])
    breaks = [b / factor for b in shown]
    n = len(breaks) - 1
    idx = np.linspace(0, len(RISK_RAMP) - 1, n).round().astype(int) if n > 1 else [2]
    symbols = [line_symbol(str(i), RISK_RAMP[int(k)], 2.0) for i, k in enumerate(idx)]
    labels = [f"{_round2(shown[i])} - {_round2(shown[i + 1])} {unit}" for i in range(n)]
    return qml_document(
        graduated_renderer(
            "risk_per_km", breaks, symbols, labels, line_symbol("0", RISK_RAMP[2], 2.0)
        ),
        "line",
    )


def halts_qml() -> str:
    """
    Halts as blue squares labelled with site, plan and the halt's times (UTC).

    Their labels outrank the sites' (priority 10 against 6): where both compete for
    the same place, the halt's label, which names the site too, is the one shown.
    """
    sym = marker_symbol("0", "square", (33, 113, 181), 3.2, outline=(255, 255, 255))
    # only the optimised plan's halts are labelled: the baselines' crowd its towns
    expr = (
        "if(\"plan\" = 'optimised', \"site\" || '\\n' || "
        "format_date(\"start\", 'dd HH:mm') || ' - ' || "
        "format_date(\"end\", 'dd HH:mm') || ' UTC', NULL)"
    )
    return qml_document(single_renderer(sym), "point", labeling(expr, priority=10))


def checkpoints_qml() -> str:
    """Checkpoints labelled with the first head's arrival and last tail's clearance."""
    sym = marker_symbol("0", "diamond", (106, 81, 163), 2.6, outline=(255, 255, 255))
    expr = (
        "\"checkpoint\" || ': ' || format_date(\"first_head\", 'dd HH:mm') || "
        "' - ' || format_date(\"last_tail\", 'dd HH:mm') || ' UTC'"
    )
    return qml_document(
        single_renderer(sym), "point", labeling(expr, size_pt=7, priority=4)
    )


#: Leg modes: label, colour, width in mm, dashed.
LEG_STYLES: dict[str, tuple[str, tuple[int, int, int], float, bool]] = {
    "normal": ("Normal march", (49, 130, 189), 0.9, False),
    "clearance": ("Route clearance (slow)", (230, 85, 13), 1.4, True),
}


def legs_qml() -> str:
    """Legs of every plan by mode: normal legs blue, clearance legs orange, dashed."""
    cats = [
        Category(k, label, line_symbol(str(i), rgb, w, dashed=d))
        for i, (k, (label, rgb, w, d)) in enumerate(LEG_STYLES.items())
    ]
    renderer = categorized_renderer("mode", cats, line_symbol("0", (99, 99, 99), 0.8))
    return qml_document(renderer, "line")


def roads_qml() -> str:
    """The road network: thin grey lines, drawn under everything else."""
    return qml_document(
        single_renderer(line_symbol("0", (150, 150, 150), 0.35)), "line"
    )


def sites_qml(kinds: Sequence[str]) -> str:
    """Sites by kind (camp, destination, halt, checkpoint), labelled with their name."""
    cats = []
    for i, kind in enumerate(kinds):
        label, shape, rgb, size = SITE_STYLES.get(
            kind, (kind, "circle", (99, 99, 99), 2.4)
        )
        cats.append(
            Category(
                kind,
                label,
                marker_symbol(str(i), shape, rgb, size, outline=(255, 255, 255)),
            )
        )
    return qml_document(
        categorized_renderer(
            "kind", cats, marker_symbol("0", "circle", (99, 99, 99), 2.4)
        ),
        "point",
        labeling('"name"', size_pt=9, priority=6),
    )


def events_qml(channels: Sequence[str]) -> str:
    """Threat events by risk channel (IED, ambush, unused)."""
    cats = []
    for i, ch in enumerate(channels):
        label, shape, rgb, size = CHANNEL_STYLES.get(
            ch, (ch, "circle", (99, 99, 99), 1.6)
        )
        sym = marker_symbol(str(i), shape, rgb, size, alpha=EVENT_ALPHA)
        cats.append(Category(ch, label, sym))
    return qml_document(
        categorized_renderer(
            "channel", cats, marker_symbol("0", "circle", (99, 99, 99), 1.6)
        ),
        "point",
    )


def left_behind_qml() -> str:
    """Camps with equipment left behind, labelled with counts by disposition."""
    sym = marker_symbol("0", "circle", (0, 0, 0), 5.0, outline=(203, 24, 29))
    sym = sym.replace('name="color" value="0,0,0,255"', 'name="color" value="0,0,0,0"')
    expr = (
        "'Left at ' || \"camp\" || ': ' || \"num_destroyed\" || ' destroyed, ' || "
        '"num_handed_over" || \' handed over, \' || "num_abandoned" || '
        "' abandoned' || '\\n' || format_number(\"value_usd\" / 1e6, 2) || ' M USD'"
    )
    return qml_document(
        single_renderer(sym),
        "point",
        labeling(expr, size_pt=8, rgb=(165, 15, 21), priority=8),
    )
