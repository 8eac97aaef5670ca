"""report.html: the plan for a reader, self-contained, with its charts beside it.

The page embeds every chart as a base64 PNG (``data:`` URI), so it can be mailed or
opened offline as one file; the same PNGs are written beside it for slides.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    PackageLoader,
    TemplateError,
    select_autoescape,
)
from markupsafe import Markup

from convoy.document import PlanDocument, SimulationSummary, iso
from convoy.errors import ScenarioError
from convoy.params import DEFAULT_DIURNAL_IED
from convoy.report._common import plan_label
from convoy.report.bottom_line import (
    comparisons,
    incidents_interval,
    itinerary,
    route_in_words,
    vehicle_counts,
    why_this_route,
)
from convoy.report.plot_loads import (
    DISPOSITIONS,
    left_behind_by_category,
    plot_left_behind,
)
from convoy.report.plot_map import plot_route_map
from convoy.report.plot_pareto import plot_pareto
from convoy.report.plot_simulation import plot_simulation
from convoy.report.plot_time_distance import plot_time_distance
from convoy.report.plot_timeline import plot_march_timeline
from convoy.report.risk_model import risk_model_note
from convoy.scenario import Site
from convoy.times import dtg

#: Chart files written beside report.html, in page order.
CHARTS: tuple[str, ...] = (
    "map.png",
    "time_distance.png",
    "march_timeline.png",
    "pareto.png",
    "left_behind.png",
    "simulation.png",
)

#: The packaged report template (package data of ``convoy.report``).
TEMPLATE = "report.html.j2"

#: The report's style sheet (screen, 480 px phones and A4 landscape print).
REPORT_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 70em;
       padding: 0 1em; color: #222; overflow-wrap: anywhere; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
h1, h2 { break-after: avoid; page-break-after: avoid; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #eee; overflow-wrap: normal; }
tr, img { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.best td { font-weight: bold; background: #e5f5e0; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
.scroll { max-width: 100%; overflow-x: auto; }
.note { color: #555; font-size: 0.9em; }
.warning { color: #8a1c1c; background: #fde8e8; border: 1px solid #d33;
           padding: 0.5em 0.8em; }
.bottom-line { border: 2px solid #006d2c; background: #f3faf1; padding: 0 1em 0.5em;
               break-inside: avoid; page-break-inside: avoid; }
.bottom-line dl { display: grid; grid-template-columns: 11em 1fr; gap: 0.2em 1em; }
.bottom-line dt { font-weight: bold; } .bottom-line dd { margin: 0; }
.bottom-line ul { margin: 0; padding-left: 1.2em; }
@media (max-width: 600px) {
  body { margin: 0.5em auto; font-size: 0.95em; }
  .bottom-line dl { grid-template-columns: 1fr; }
}
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9pt; }
  .scroll { overflow: visible; }
  table { width: 100%; table-layout: auto; font-size: 7.5pt; }
  th, td { padding: 0.15em 0.3em; }
  img { max-height: 170mm; }
}
"""


def _pct(x: float | None) -> float | None:
    return None if x is None else 100 * x


def _loads_warning(text: str | None) -> str:
    """A prominent box when the loads are not proven within the gap target."""
    if not text:
        return ""
    return f'<p class="warning"><b>Warning:</b> {escape(text)}</p>'


def _num(x: Any, fmt: str = "{:,.2f}") -> str:
    try:
        return fmt.format(float(x))
    except (TypeError, ValueError):
        return escape(str(x)) if x is not None else ""


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool] = (),
    row_class: Sequence[str] = (),
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, r in enumerate(rows):
        cls = f' class="{row_class[i]}"' if i < len(row_class) and row_class[i] else ""
        cells = "".join(
            f'<td class="num">{c}</td>'
            if j < len(numeric) and numeric[j]
            else f"<td>{c}</td>"
            for j, c in enumerate(r)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def baselines_table(doc: PlanDocument) -> str:
    """HTML table: the optimised plan and every baseline, same columns."""
    header = [
        "plan",
        "expected incidents",
        "interval (calibration)",
        "IED",
        "ambush",
        "depart",
        "arrive",
        "days",
        "distance (km)",
        "vehicles in column",
        "value carried (M USD)",
        "value left (M USD)",
        "breakdowns expected",
        "fuel (m3)",
        "crew hours",
        "running cost (incidents)",
        "feasible",
        "note",
    ]
    rows, classes = [], []
    for key in doc.plan_keys():
        s = doc.plans[key].summary
        rows.append(
            [
                escape(plan_label(key)),
                _num(s.expected_incidents, "{:.3f}"),
                "&ndash;"
                if s.expected_incidents_low is None or s.expected_incidents_high is None
                else f"{s.expected_incidents_low:.2f}&ndash;"
                f"{s.expected_incidents_high:.2f}",
                _num(s.expected_ied_incidents, "{:.3f}"),
                _num(s.expected_ambush_incidents, "{:.3f}"),
                escape(dtg(s.depart)),
                escape(dtg(s.arrive)),
                _num(s.travel_days, "{:.2f}"),
                _num(s.distance_km, "{:.1f}"),
                _num(s.vehicles_moving, "{:.0f}"),
                _num(float(s.value_carried) / 1e6, "{:.2f}"),
                _num(float(s.value_left_behind) / 1e6, "{:.2f}"),
                _num(s.breakdowns_expected, "{:.1f}"),
                _num(None if s.fuel_l is None else s.fuel_l / 1000.0, "{:.1f}"),
                _num(s.crew_hours, "{:,.0f}"),
                _num(s.running_cost_incidents, "{:.3f}"),
                "yes" if s.feasible else "no",
                escape(s.note),
            ]
        )
        classes.append("best" if key == "optimised" else "")
    return _table(
        header,
        rows,
        numeric=[
            False,
            True,
            True,
            True,
            False,
            False,
            True,
            True,
            True,
            True,
            True,
            True,
            True,
            True,
            True,
            False,
            False,
        ],
        row_class=classes,
    )


def loads_table(doc: PlanDocument) -> str:
    """HTML table: vehicles by type and status, with their load."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in doc.loads:
        g = groups.setdefault((r.type, r.status), [0.0, 0.0, 0.0, 0.0])
        g[0] += 1
        g[1] += len(r.lots)
        g[2] += float(r.load_kg or 0.0)
        g[3] += float(r.seats_used or 0.0)
    rows = [
        [
            escape(t),
            escape(s),
            _num(g[0], "{:.0f}"),
            _num(g[1], "{:.0f}"),
            _num(g[2] / 1000.0, "{:,.1f}"),
            _num(g[3], "{:.0f}"),
        ]
        for (t, s), g in sorted(groups.items())
    ]
    return _table(
        [
            "vehicle type",
            "status",
            "vehicles",
            "lots carried",
            "load (t)",
            "seats used",
        ],
        rows,
        numeric=[False, False, True, True, True, True],
    )


def left_behind_table(doc: PlanDocument) -> str:
    """HTML table: what is left behind, by category and disposition."""
    rows = []
    for cat, cell in left_behind_by_category(doc).items():
        for disp in [*DISPOSITIONS, *sorted(set(cell) - set(DISPOSITIONS))]:
            n, kg, usd = cell.get(disp, [0.0, 0.0, 0.0])
            if n:
                rows.append(
                    [
                        escape(cat),
                        escape(disp.replace("_", " ")),
                        _num(n, "{:.0f}"),
                        _num(kg / 1000.0, "{:,.1f}"),
                        _num(usd / 1e6, "{:,.3f}"),
                    ]
                )
    return _table(
        ["category", "disposition", "items", "weight (t)", "value (M USD)"],
        rows,
        numeric=[False, False, True, True, True],
    )


#: Rows of the "How sure" table: count of the simulation, label, planned field.
SIMULATION_ROWS: tuple[tuple[str, str, str], ...] = (
    ("incidents", "incidents (IED + ambush)", "expected_incidents"),
    ("ied", "IED incidents", "expected_ied_incidents"),
    ("ambush", "ambushes", "expected_ambush_incidents"),
    ("breakdowns", "breakdowns", "expected_breakdowns"),
    ("vehicles_lost", "vehicles lost", ""),
)


def _hhmm(t: datetime | None) -> str:
    text = iso(t) if t is not None else ""
    return escape(text[:16].replace("T", " ")) if text else ""


def simulation_table(sim: SimulationSummary) -> str:
    """HTML table: the Monte Carlo outcome, per quantity (planned, mean, quantiles)."""
    planned = sim.planned
    rows = []
    for key, label, planned_key in SIMULATION_ROWS:
        s = sim.counts[key]
        rows.append(
            [
                escape(label),
                _num(getattr(planned, planned_key), "{:.2f}")
                if planned_key and getattr(planned, planned_key) is not None
                else "",
                _num(s.mean, "{:.2f}"),
                *(_num(getattr(s, q), "{:.0f}") for q in ("p50", "p90", "p99")),
                *(_num(getattr(s, p), "{:.3f}") for p in ("p0", "p_ge1", "p_ge3")),
            ]
        )
    d = sim.delay_h
    rows.append(
        [
            "delay (h)",
            "0",
            _num(d.mean, "{:.1f}"),
            *(_num(getattr(d, q), "{:.1f}") for q in ("p50", "p90", "p99")),
            "",
            "",
            "",
        ]
    )
    rows.append(
        [
            "arrival (UTC)",
            _hhmm(planned.arrive),
            "",
            *(_hhmm(sim.arrival.get(q)) for q in ("p50", "p90", "p99")),
            "",
            "",
            "",
        ]
    )
    return _table(
        ["outcome", "planned", "mean", "p50", "p90", "p99", "P(0)", "P(>=1)", "P(>=3)"],
        rows,
        numeric=[False, *([True] * 8)],
    )


def _shape_words(k: float | None) -> str:
    return "fixed" if k is None else f"Gamma shape {k:.3g}"


def uncertainty_note(sim: SimulationSummary) -> str:
    """What the Monte Carlo drew beyond the planner's rates, in a sentence or two."""
    u = sim.uncertainty
    if u is None:
        return "the counts are Poisson."
    k_ied, k_amb = u.get("rate_shape_ied"), u.get("rate_shape_ambush")
    if k_ied is None and k_amb is None:
        rates = "the rates are fixed (no uncertainty of the calibrated scales is drawn)"
    else:
        rates = (
            "each run draws the rate of each channel from the calibration's "
            f"uncertainty (IED {escape(_shape_words(k_ied))}, ambush "
            f"{escape(_shape_words(k_amb))}; mean 1), so counts spread wider than "
            "Poisson"
        )
    boost = u.get("near_repeat_boost") or 1.0
    if boost > 1.0:
        near = (
            f"an incident multiplies its channel's rate by {boost:g} on the next "
            f"{_num(u.get('near_repeat_km'), '{:g}')} km within "
            f"{_num(u.get('near_repeat_h'), '{:g}')} h (near repeats: incidents "
            "come in pairs; Townsley et al. 2008), the mean kept"
        )
    else:
        near = "incidents do not cluster (near repeats off)"
    var = u.get("incidents_variance")
    spread = (
        f" The incidents' variance is {_num(var, '{:.2f}')} against a mean of "
        f"{_num(sim.incidents.mean, '{:.2f}')} (equal for Poisson counts)."
        if var is not None
        else ""
    )
    return f"{rates}; {near}.{spread}"


def simulation_section(doc: PlanDocument, img: str) -> str:
    """The "How sure" section: chart, table and the chance of missing the deadline."""
    sim = doc.simulation
    if sim is None:
        return (
            '<h2>How sure</h2>\n<p class="note">No Monte Carlo simulation in this '
            "plan (it was made with <code>--runs 0</code>, or before plans carried "
            "one). Run <code>convoy simulate PLANDIR</code> for the spread of "
            "incidents, losses and arrival "
            "(simulation.json), or <code>convoy plan --runs 10000</code> to carry it "
            "in plan.json and this report.</p>"
        )
    planned = sim.planned
    params = sim.params
    p_miss = sim.p_miss_deadline
    counts = vehicle_counts(doc)
    towed = counts.get("towed", 0)
    column = (
        f"The column is {planned.vehicles_moving + towed} vehicles: "
        f"{planned.vehicles_moving} under their own power and {towed} towed; "
        "breakdowns are drawn among the "
        f"{planned.vehicles_moving} that drive (a towed vehicle is lost only "
        "when its recovery vehicle breaks down and drops it). "
        if towed
        else ""
    )
    return f"""<h2>How sure</h2>
<p>Over <b>{_num(sim.num_runs, "{:,.0f}")}</b> simulated runs of the
{escape(sim.plan)} plan (seed {escape(str(sim.seed))}), the
chance of missing the deadline ({_hhmm(planned.deadline)} UTC, slack
{_num(planned.slack_h, "{:.1f}")} h after the planned arrival) is
<b>{_num(p_miss, "{:.3f}")}</b>.</p>
<p class="note">{column}Incidents are drawn with the planner's own
intensities on
every leg and halt, so their mean is the plan's expected incidents up to Monte Carlo
error; {uncertainty_note(sim)} Each IED delays the column
{_num(params.get("ied_delay_h"), "{:g}")} h and each
ambush {_num(params.get("ambush_delay_h"), "{:g}")} h on average and destroys a vehicle
with probability {_num(params.get("ied_destroy_p"), "{:g}")} /
{_num(params.get("ambush_destroy_p"), "{:g}")}; breakdowns come from each vehicle's
reliability (a constant hazard per km), repaired on the spot with probability
{_num(params.get("repair_p"), "{:g}")}, otherwise towed by a recovery vehicle free
within {_num(params.get("tow_wait_h"), "{:g}")} h (or lost) to the next halt of at
least {_num(params.get("laager_repair_h"), "{:g}")} h, where it is repaired with
probability {_num(params.get("laager_repair_p"), "{:g}")} and its recovery vehicle is
free again. Delays do not re-apply the movement windows (planning assumptions; see
<code>convoy.simulate</code>).</p>
<div class="scroll">{simulation_table(sim)}</div>
{img}"""


def embedded_img(path: Path, alt: str) -> str:
    """An ``<img>`` of the PNG at ``path`` as a ``data:`` URI (one file to mail)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{escape(alt)}" src="data:image/png;base64,{data}"/></p>'


def write_report(
    doc: PlanDocument,
    sites: Sequence[Site],
    out_dir: str | Path,
    *,
    risk_tif: str | Path | None = None,
    diurnal_ied: Sequence[float] = DEFAULT_DIURNAL_IED,
    template: str | Path | None = None,
) -> Path:
    """
    Write report.html and its PNG charts into ``out_dir``.

    simulation.png (the "How sure" chart) is drawn only when the plan carries a
    ``simulation`` with its histograms (``convoy plan --runs N``); without one the
    section says so.

    Parameters
    ----------
    doc
        The plan document.
    sites
        The scenario's sites (drawn on the map).
    out_dir
        Folder to write into (must exist).
    risk_tif
        The risk raster to draw under the routes (default ``out_dir/risk.tif`` if it
        exists).
    diurnal_ied
        The IED channel's hourly profile (``[risk] diurnal_ied``), for the
        time-distance graph.
    template
        A Jinja2 template file to render instead of the packaged one
        (:data:`TEMPLATE`); it receives the variables of :func:`report_context`.

    Returns
    -------
    Path
        The report file.

    Examples
    --------
    >>> write_report(doc, scenario.sites, "out")  # doctest: +SKIP
    PosixPath('out/report.html')
    """
    out = Path(out_dir)
    for stale in ("pareto.png", "simulation.png"):
        (out / stale).unlink(missing_ok=True)
    tif = Path(risk_tif) if risk_tif is not None else out / "risk.tif"
    charts: list[tuple[str, str, Callable[[Path], Path]]] = [
        (
            "map.png",
            "Routes over the risk field",
            lambda p: plot_route_map(doc, sites, p, tif if tif.is_file() else None),
        ),
        (
            "time_distance.png",
            "Time-distance graph",
            lambda p: plot_time_distance(doc, p, diurnal_ied=diurnal_ied),
        ),
        (
            "march_timeline.png",
            "March timeline",
            lambda p: plot_march_timeline(doc, p),
        ),
        ("left_behind.png", "Left behind", lambda p: plot_left_behind(doc, p)),
    ]
    if doc.pareto:
        # Without a price sweep the chart would be the plans' dots at one value.
        charts.append(
            ("pareto.png", "Risk against value saved", lambda p: plot_pareto(doc, p))
        )
    if doc.simulation is not None and doc.simulation.histograms is not None:
        charts.append(
            (
                "simulation.png",
                "Monte Carlo spread: incidents, vehicles lost, arrival",
                lambda p: plot_simulation(doc, p),
            )
        )
    imgs = {
        name: Markup(embedded_img(draw(out / name), alt)) for name, alt, draw in charts
    }
    page = render_report(doc, imgs, template=template)
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _left_text(doc: PlanDocument) -> str:
    """What is left behind, by disposition: items and value."""
    by: dict[str, list[float]] = {}
    for r in doc.left_behind:
        c = by.setdefault(r.disposition, [0.0, 0.0])
        c[0] += 1
        c[1] += float(r.value_usd or 0.0)
    if not by:
        return "nothing"
    return "; ".join(
        f"{n:.0f} items {d.replace('_', ' ')} ({usd / 1e6:.2f} M USD)"
        for d, (n, usd) in sorted(by.items())
    )


def report_context(doc: PlanDocument, charts: dict[str, Markup]) -> dict[str, Any]:
    """
    The variables the report template receives.

    ``bl`` holds the bottom line (route, DTGs, counts, interval, comparisons,
    reasons), ``itinerary`` the merged stretches, ``march_table`` the rows,
    ``charts`` the ``<img>`` tags by file name, ``dtg`` the DTG formatter, and the
    ready-made tables (``baselines_table`` ...) as markup.
    """
    trip = doc.trip()
    s = doc.summary
    lo = doc.loadout
    counts = vehicle_counts(doc)
    towed = counts.get("towed", 0)
    own = counts.get("moving", s.vehicles_moving - towed)
    gap = lo.gap
    bl = {
        "route": route_in_words(trip),
        "start": dtg(doc.scenario.start),
        "depart": dtg(s.depart),
        "arrive": dtg(s.arrive),
        "deadline": dtg(doc.scenario.deadline),
        "halts": len(trip.halts),
        "clearance_legs": sum(1 for g in trip.legs if g.mode == "clearance"),
        "clearance_km": sum(g.length_km for g in trip.legs if g.mode == "clearance"),
        "vehicles_total": own + towed,
        "vehicles_own": own,
        "vehicles_towed": towed,
        "left_text": _left_text(doc),
        "interval": incidents_interval(doc),
        "runs": doc.simulation.num_runs if doc.simulation is not None else 0,
        "comparisons": comparisons(doc),
        "why": why_this_route(doc),
    }
    loads_note = (
        f"Load plan: {lo.status}, gap to the bound "
        f"{_num(float(gap) * 100 if gap is not None else None, '{:.2f}')} % "
        f"(target {_num(_pct(lo.gap_target), '{:g}')} %; solver limit "
        f"{_num(lo.time_limit_s, '{:g}')} s), departure delay for destruction "
        f"{_num(lo.departure_delay_min, '{:.0f}')} min."
    )
    sc = doc.scenario
    return {
        "title": sc.title or sc.name or "Withdrawal plan",
        "css": Markup(REPORT_CSS),
        "scenario": sc,
        "summary": s,
        "version": doc.convoy_version,
        "bl": bl,
        "itinerary": itinerary(trip.legs),
        "march_table": doc.march_table,
        "dtg": dtg,
        "charts": charts,
        "notes": [str(n) for n in doc.notes],
        "calibration": doc.calibration.sentences(),
        "calibration_pct": f"{100 * (doc.calibration.interval or 0.9):g} %",
        "warning": Markup(_loads_warning(lo.warning())),
        "risk_model_note": risk_model_note(doc),
        "baselines_table": Markup(baselines_table(doc)),
        "simulation_section": Markup(
            simulation_section(doc, charts.get("simulation.png", ""))
        ),
        "adversary_section": Markup(adversary_section(doc)),
        "loads_note": loads_note,
        "loads_table": Markup(loads_table(doc)),
        "left_behind_table": Markup(left_behind_table(doc)),
    }


def render_report(
    doc: PlanDocument,
    charts: dict[str, Markup],
    *,
    template: str | Path | None = None,
) -> str:
    """
    The report page: :func:`report_context` through the Jinja2 template.

    Raises
    ------
    ScenarioError
        The template file is missing or not a valid Jinja2 template.
    """
    return render_template(template, TEMPLATE, report_context(doc, charts))


def render_template(
    template: str | Path | None, packaged: str, context: dict[str, Any]
) -> str:
    """
    Render a page: the user's Jinja2 file ``template``, else the packaged one.

    Both are autoescaped (HTML); markup built in Python comes as
    :class:`markupsafe.Markup`.

    Raises
    ------
    ScenarioError
        The template file is missing or not a valid Jinja2 template (the message
        names it).
    """
    if template is None:
        env = Environment(
            loader=PackageLoader("convoy.report", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        name = packaged
    else:
        path = Path(template)
        if not path.is_file():
            msg = f"{path}: expected a Jinja2 report template, found no file"
            raise ScenarioError(msg)
        env = Environment(
            loader=FileSystemLoader(str(path.parent)),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        name = path.name
    try:
        return env.get_template(name).render(**context)
    except TemplateError as exc:
        where = template or packaged
        msg = f"{where}: expected a valid Jinja2 report template, found {exc}"
        raise ScenarioError(msg) from None


def adversary_section(doc: PlanDocument) -> str:
    """
    The "Against an adversary" section: static, robust and mixed side by side.

    Empty for a static plan (no ``adversary`` in plan.json).
    """
    adv = doc.adversary
    if adv is None:
        return ""
    rows = [
        [
            escape(r.plan.replace("_", " ")),
            _num(r.expected_incidents, "{:.2f}"),
            _num(r.worst_case_incidents, "{:.2f}"),
            _num(r.leaked_rise, "{:.2f}"),
            _num(r.cvar90_incidents, "{:.1f}")
            if r.cvar90_incidents is not None
            else "",
            _num(r.cvar90_if_leaked_incidents, "{:.1f}")
            if r.cvar90_if_leaked_incidents is not None
            else "",
        ]
        for r in adv.figures
    ]
    figures = _table(
        [
            "plan",
            "static threat",
            "if leaked",
            "rise if leaked",
            "CVaR 90 %",
            "CVaR 90 % if leaked",
        ],
        rows,
        numeric=[False, True, True, True, True, True],
        row_class=["best" if r.plan == adv.mode else "" for r in adv.figures],
    )
    mix_rows = [
        [
            escape(m.name),
            _num(m.probability, "{:.2f}"),
            escape(dtg(m.plan.summary.depart)),
            escape(dtg(m.plan.summary.arrive)),
            _num(m.plan.summary.expected_incidents, "{:.2f}"),
            _num(sum(g.mode == "clearance" for g in m.plan.legs), "{:.0f}"),
        ]
        for m in adv.mix
    ]
    mix = _table(
        ["plan", "probability", "depart", "arrive", "incidents", "clearance legs"],
        mix_rows,
        numeric=[False, True, False, False, True, True],
    )
    g = adv.game
    chosen = (
        "The plan above is the <b>robust</b> plan: the best single plan against "
        "an adversary who learns it."
        if adv.mode == "robust"
        else "The plan above is the static plan; on the day, draw one plan of the "
        "mix with <code>convoy draw PLANDIR</code> and brief its march table."
    )
    return f"""<h2>Against an adversary who reads the plan</h2>
<p>{chosen} The adversary places <b>{_num(adv.budget, "{:g}")}</b> devices or
ambush positions ({escape(adv.budget_source)}), at most {_num(adv.cap, "{:g}")} on a
road segment in a {_num(adv.window_h, "{:g}")} h window; each costs a column that
drives there then one expected incident, less under route clearance.
<i>If leaked</i> is a plan's expected incidents when the adversary knows it
(for the mix: knows the mix, not the draw); <i>rise</i> is what a leak adds.
CVaR 90 % is the mean incidents of the worst tenth of simulated runs, under the
static threat and with the adversary's devices where a leak would put them (for
the mix: its best answer to the mix).</p>
<div class="scroll">{figures}</div>
<p class="note">The mix ({len(adv.mix)} plans) against the adversary's best answer:
{_num(g.get("mix_value"), "{:.2f}")} in the search's objective (expected incidents
plus the priced km and hours); with every plan generated
({_num(g.get("columns"), "{:.0f}")}) the game's value is
{_num(g.get("value"), "{:.2f}")}, duality gap {_num(g.get("gap"), "{:.2g}")}.</p>
<div class="scroll">{mix}</div>"""
