"""report.html: the plan for a reader, self-contained, with its charts beside it.

The page embeds every chart as a base64 PNG (``data:`` URI), so it can be mailed or
opened offline as one file; the same PNGs are written beside it for slides.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from convoy.report._common import plan_keys, plan_label
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

#: Chart files written beside report.html, in page order.
CHARTS: tuple[str, ...] = (
    "map.png",
    "time_distance.png",
    "march_timeline.png",
    "pareto.png",
    "left_behind.png",
    "simulation.png",
)

_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 70em;
       color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { font-weight: bold; background: #e5f5e0; }
img { max-width: 100%; border: 1px solid #ddd; }
.note { color: #555; font-size: 0.9em; }
"""


def _num(x: Any, fmt: str = "{:,.2f}") -> str:
    try:
        return fmt.format(float(x))
    except (TypeError, ValueError):
        return escape(str(x)) if x is not None else ""


def _text(d: Mapping[str, Any], key: str) -> str:
    return escape(str(d.get(key, "")))


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


def baselines_table(plan: Mapping[str, Any]) -> str:
    """HTML table: the optimised plan and every baseline, same columns."""
    header = [
        "plan",
        "expected incidents",
        "IED",
        "ambush",
        "depart (UTC)",
        "arrive (UTC)",
        "days",
        "distance (km)",
        "vehicles moving",
        "value carried (M USD)",
        "value left (M USD)",
        "feasible",
        "note",
    ]
    rows, classes = [], []
    for key in plan_keys(plan):
        s = plan["plans"][key].get("summary") or {}
        rows.append(
            [
                escape(plan_label(key)),
                _num(s.get("expected_incidents"), "{:.3f}"),
                _num(s.get("expected_ied_incidents"), "{:.3f}"),
                _num(s.get("expected_ambush_incidents"), "{:.3f}"),
                escape(str(s.get("depart", ""))),
                escape(str(s.get("arrive", ""))),
                _num(s.get("travel_days"), "{:.2f}"),
                _num(s.get("distance_km"), "{:.1f}"),
                _num(s.get("vehicles_moving"), "{:.0f}"),
                _num(float(s.get("value_carried", 0.0)) / 1e6, "{:.2f}"),
                _num(float(s.get("value_left_behind", 0.0)) / 1e6, "{:.2f}"),
                "yes" if s.get("feasible", True) else "no",
                escape(str(s.get("note", ""))),
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
            False,
            False,
        ],
        row_class=classes,
    )


def loads_table(plan: Mapping[str, Any]) -> str:
    """HTML table: vehicles by type and status, with their load."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in plan.get("loads") or []:
        g = groups.setdefault(
            (str(r.get("type", "")), str(r.get("status", ""))), [0.0, 0.0, 0.0, 0.0]
        )
        g[0] += 1
        g[1] += len(r.get("lots") or [])
        g[2] += float(r.get("load_kg") or 0.0)
        g[3] += float(r.get("seats_used") or 0.0)
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


def left_behind_table(plan: Mapping[str, Any]) -> str:
    """HTML table: what is left behind, by category and disposition."""
    rows = []
    for cat, cell in left_behind_by_category(plan).items():
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


#: Rows of the "How sure" table: key of the simulation object, label, planned key.
SIMULATION_ROWS: tuple[tuple[str, str, str], ...] = (
    ("incidents", "incidents (IED + ambush)", "expected_incidents"),
    ("ied", "IED incidents", "expected_ied_incidents"),
    ("ambush", "ambushes", "expected_ambush_incidents"),
    ("breakdowns", "breakdowns", ""),
    ("vehicles_lost", "vehicles lost", ""),
)


def _hhmm(iso: Any) -> str:
    text = str(iso or "")
    return escape(text[:16].replace("T", " ")) if text else ""


def simulation_table(sim: Mapping[str, Any]) -> str:
    """HTML table: the Monte Carlo outcome, per quantity (planned, mean, quantiles)."""
    planned = sim.get("planned") or {}
    rows = []
    for key, label, planned_key in SIMULATION_ROWS:
        s = sim.get(key) or {}
        rows.append(
            [
                escape(label),
                _num(planned.get(planned_key), "{:.2f}") if planned_key else "",
                _num(s.get("mean"), "{:.2f}"),
                *(_num(s.get(q), "{:.0f}") for q in ("p50", "p90", "p99")),
                *(_num(s.get(p), "{:.3f}") for p in ("p0", "p_ge1", "p_ge3")),
            ]
        )
    d = sim.get("delay_h") or {}
    rows.append(
        [
            "delay (h)",
            "0",
            _num(d.get("mean"), "{:.1f}"),
            *(_num(d.get(q), "{:.1f}") for q in ("p50", "p90", "p99")),
            "",
            "",
            "",
        ]
    )
    a = sim.get("arrival") or {}
    rows.append(
        [
            "arrival (UTC)",
            _hhmm(planned.get("arrive")),
            "",
            *(_hhmm(a.get(q)) for q in ("p50", "p90", "p99")),
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


def simulation_section(plan: Mapping[str, Any], img: str) -> str:
    """The "How sure" section: chart, table and the chance of missing the deadline."""
    sim = plan.get("simulation")
    if not isinstance(sim, Mapping):
        return (
            '<h2>How sure</h2>\n<p class="note">No Monte Carlo simulation in this '
            "plan (it was made with <code>--runs 0</code>, or before plans carried "
            "one). Run <code>convoy simulate PLANDIR</code> for the spread of "
            "incidents, losses and arrival "
            "(simulation.json), or <code>convoy plan --runs 10000</code> to carry it "
            "in plan.json and this report.</p>"
        )
    planned = sim.get("planned") or {}
    params = sim.get("params") or {}
    p_miss = sim.get("p_miss_deadline")
    return f"""<h2>How sure</h2>
<p>Over <b>{_num(sim.get("num_runs"), "{:,.0f}")}</b> simulated runs of the
{escape(str(sim.get("plan", "optimised")))} plan (seed {_text(sim, "seed")}), the
chance of missing the deadline ({_hhmm(planned.get("deadline"))} UTC, slack
{_num(planned.get("slack_h"), "{:.1f}")} h after the planned arrival) is
<b>{_num(p_miss, "{:.3f}")}</b>.</p>
<p class="note">Incidents are Poisson counts with the planner's own intensities on
every leg and halt, so their mean is the plan's expected incidents up to Monte Carlo
error; each IED delays the column {_num(params.get("ied_delay_h"), "{:g}")} h and each
ambush {_num(params.get("ambush_delay_h"), "{:g}")} h on average and destroys a vehicle
with probability {_num(params.get("ied_destroy_p"), "{:g}")} /
{_num(params.get("ambush_destroy_p"), "{:g}")}; breakdowns come from each vehicle's
reliability, repaired on the spot with probability
{_num(params.get("repair_p"), "{:g}")}, otherwise towed by a free recovery vehicle or
lost. Delays do not re-apply the movement windows (planning assumptions; see
<code>convoy.simulate</code>).</p>
{simulation_table(sim)}
{img}"""


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{escape(alt)}" src="data:image/png;base64,{data}"/></p>'


def write_report(
    plan: Mapping[str, Any],
    scenario: Any,
    out_dir: str | Path,
    *,
    risk_tif: str | Path | None = None,
) -> Path:
    """
    Write report.html and its PNG charts into ``out_dir``.

    simulation.png (the "How sure" chart) is drawn only when the plan carries a
    ``simulation`` object with its histograms (``convoy plan --runs N``); without
    one the section says so.

    Parameters
    ----------
    plan
        The plan.json document (see ``docs/plan-json.md``).
    scenario
        The scenario the plan was made for (sites, risk parameters).
    out_dir
        Folder to write into (must exist).
    risk_tif
        The risk raster to draw under the routes (default ``out_dir/risk.tif`` if it
        exists).

    Returns
    -------
    Path
        The report file.

    Examples
    --------
    >>> write_report(plan, scenario, "out")  # doctest: +SKIP
    PosixPath('out/report.html')
    """
    out = Path(out_dir)
    tif = Path(risk_tif) if risk_tif is not None else out / "risk.tif"
    charts: list[tuple[str, str, Callable[[Path], Path]]] = [
        (
            "map.png",
            "Routes over the risk field",
            lambda p: plot_route_map(plan, scenario, p, tif if tif.is_file() else None),
        ),
        (
            "time_distance.png",
            "Time-distance graph",
            lambda p: plot_time_distance(plan, scenario, p),
        ),
        (
            "march_timeline.png",
            "March timeline",
            lambda p: plot_march_timeline(plan, p),
        ),
        ("pareto.png", "Risk against value saved", lambda p: plot_pareto(plan, p)),
        ("left_behind.png", "Left behind", lambda p: plot_left_behind(plan, p)),
    ]
    sim = plan.get("simulation")
    if isinstance(sim, Mapping) and "histograms" in sim:
        charts.append(
            (
                "simulation.png",
                "Monte Carlo spread: incidents, vehicles lost, arrival",
                lambda p: plot_simulation(plan, p),
            )
        )
    imgs = {name: _img(draw(out / name), alt) for name, alt, draw in charts}
    sc = plan.get("scenario") or {}
    s = plan.get("summary") or {}
    lo = plan.get("loadout") or {}
    title = str(sc.get("title") or sc.get("name") or "Withdrawal plan")
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in plan.get("notes") or [])
    gap = lo.get("gap")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<title>{escape(title)}: withdrawal plan</title><style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p>From <b>{escape(str(sc.get("origin", "")))}</b> to
<b>{_text(sc, "destination")}</b>; start {_text(sc, "start")},
deadline {_text(sc, "deadline")} (UTC); air cover:
{"yes" if sc.get("air_cover") else "no"}; personnel {_text(sc, "personnel")};
seed {_text(sc, "seed")}; convoy {_text(plan, "convoy_version")}.</p>
<p>The optimised plan departs <b>{escape(str(s.get("depart", "")))}</b>, arrives
<b>{_text(s, "arrive")}</b> over {_num(s.get("distance_km"), "{:.1f}")} km with
{_num(s.get("vehicles_moving"), "{:.0f}")} vehicles, for
<b>{_num(s.get("expected_incidents"), "{:.2f}")}</b> expected incidents
({_num(s.get("expected_ied_incidents"), "{:.2f}")} IED,
{_num(s.get("expected_ambush_incidents"), "{:.2f}")} ambush).</p>
{f"<ul class='note'>{notes}</ul>" if notes else ""}
<h2>Routes</h2>{imgs["map.png"]}
<h2>Baselines</h2>
<p class="note">Every plan priced by the same risk model; the optimised plan in
bold.</p>
{baselines_table(plan)}
{simulation_section(plan, imgs.get("simulation.png", ""))}
<h2>Movement</h2>
<p class="note">Head and tail of the column against time; the background is the IED risk
the head would meet at each place and hour (the field's daily profile applied to the
risk along the route).</p>
{imgs["time_distance.png"]}
{imgs["march_timeline.png"]}
<h2>Risk and value</h2>{imgs["pareto.png"]}
<h2>Loads and what is left behind</h2>
<p class="note">Load plan: {escape(str(lo.get("status", "")))}, gap to the bound
{_num(float(gap) * 100 if gap is not None else None, "{:.2f}")} %, departure delay for
destruction {_num(lo.get("departure_delay_min"), "{:.0f}")} min.</p>
{loads_table(plan)}
{left_behind_table(plan)}
{imgs["left_behind.png"]}
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
