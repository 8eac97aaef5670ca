"""``convoy validate`` checks a scenario; ``convoy scenarios`` lists embedded ones."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from convoy.cli.console import summary_console
from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
    quiet,
    scenario_argument,
)
from convoy.errors import DataQualityWarning, NoRouteError
from convoy.io.scenario import (
    embedded_scenarios,
    geodata_dir,
    read_scenario,
    scenario_title,
)
from convoy.params import SURFACES
from convoy.risk.field import event_staleness
from convoy.scenario import SITE_KINDS, Scenario


@dataclass(frozen=True, slots=True)
class Capacity:
    """
    One capacity of the fleet against what must be moved.

    Parameters
    ----------
    name
        What is compared, e.g. ``"payload (kg)"``.
    fleet
        What the roadworthy vehicles offer, in the row's unit.
    needed
        What the manifest (or the personnel) asks for, same unit.
    """

    name: str
    fleet: float
    needed: float

    @property
    def ratio(self) -> float:
        """Fleet over need; inf when nothing is needed."""
        return self.fleet / self.needed if self.needed > 0 else float("inf")


def capacities(sc: Scenario) -> list[Capacity]:
    """
    The roadworthy fleet's payload, deck area and seats against the manifest.

    Each is set against the manifest's total (seats against the personnel).

    A ratio below 1 means something must be left behind (or, for seats, that the
    scenario is refused: ``read_scenario`` checks it).
    """
    moving = [v for v in sc.vehicles if v.roadworthy]
    return [
        Capacity(
            "payload (kg)",
            sum(v.payload_kg for v in moving),
            sum(lot.weight_kg for lot in sc.lots),
        ),
        Capacity(
            "deck area (m2)",
            sum(v.deck_m2 for v in moving),
            sum(lot.deck_m2 for lot in sc.lots),
        ),
        Capacity(
            "seats (persons)", float(sum(v.seats for v in moving)), float(sc.personnel)
        ),
    ]


def route_km(sc: Scenario) -> float:
    """Shortest road distance from origin to destination, in km."""
    return sc.roads.site_path(sc.origin, sc.destination)[2] / 1000.0


def _num(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def validate_json(sc: Scenario) -> dict[str, Any]:
    """
    The ``convoy validate --json`` object (README, "Command line").

    ``valid`` (true: an invalid scenario exits 2 with ``error``), ``scenario``
    (name, title, path, origin, destination, start, deadline, personnel, air
    cover, seed), ``counts`` (sites by kind, vehicles, roadworthy, lots,
    events used), ``roads`` (km by surface, nodes, edges, components, repairs),
    ``route_km`` and ``capacities`` (fleet, needed, ratio: null when nothing is
    needed).
    """
    net = sc.roads
    try:
        km: float | None = route_km(sc)
    except NoRouteError:  # read_scenario refuses this; kept for safety
        km = None
    return {
        "command": "validate",
        "exit_code": 0,
        "valid": True,
        "scenario": {
            "name": sc.name,
            "title": sc.title,
            "path": sc.files.scenario,
            "origin": sc.origin,
            "destination": sc.destination,
            "start": sc.start,
            "deadline": sc.deadline,
            "personnel": sc.personnel,
            "air_cover": sc.air_cover,
            "seed": sc.seed,
        },
        "counts": {
            "sites": {k: sum(s.kind == k for s in sc.sites) for k in SITE_KINDS},
            "vehicles": len(sc.vehicles),
            "roadworthy": sum(v.roadworthy for v in sc.vehicles),
            "lots": len(sc.lots),
            "events": sc.events.num_events,
        },
        "roads": {
            "surface_km": net.surface_km(),
            "nodes": net.num_nodes,
            "edges": net.num_edges,
            "components": int(net.components().max()) + 1 if net.num_nodes else 0,
            "repairs": [str(r) for r in net.repairs],
        },
        "route_km": km,
        "capacities": {
            c.name: {
                "fleet": c.fleet,
                "needed": c.needed,
                "ratio": c.ratio if c.needed > 0 else None,
            }
            for c in capacities(sc)
        },
    }


def render_summary(sc: Scenario, console: Console) -> None:
    """Print what ``convoy validate`` reports about a loaded scenario."""
    net = sc.roads
    hours = sc.horizon_min / 60.0
    console.print(Text(sc.title, style="bold"), Text(f" ({sc.files.scenario})"))
    console.print(
        f"{sc.origin} -> {sc.destination}, "
        f"{sc.start:%Y-%m-%d %H:%M}Z to {sc.deadline:%Y-%m-%d %H:%M}Z "
        f"({hours:.0f} h), {sc.personnel} personnel, "
        f"air cover {'yes' if sc.air_cover else 'no'}, seed {sc.seed}",
        highlight=False,
        markup=False,
    )

    counts = Table(title="Inputs", title_justify="left")
    counts.add_column("what", overflow="fold")
    counts.add_column("count", justify="right", overflow="fold")
    counts.add_column("detail", overflow="fold")
    kinds = Counter(s.kind for s in sc.sites)
    for kind in SITE_KINDS:
        names = [s.name for s in sc.sites if s.kind == kind]
        shown = ", ".join(names[:4]) + (
            f" and {len(names) - 4} more" if len(names) > 4 else ""
        )
        counts.add_row(f"sites: {kind}", str(kinds.get(kind, 0)), Text(shown))
    moving = sum(v.roadworthy for v in sc.vehicles)
    tows = sum(v.can_tow for v in sc.vehicles)
    types = Counter(v.type for v in sc.vehicles)
    clear = sum(v.role == "route_clearance" and v.roadworthy for v in sc.vehicles)
    teams = sc.movement.clearance_teams(clear)
    counts.add_row(
        "vehicles",
        str(len(sc.vehicles)),
        f"{moving} roadworthy, {len(sc.vehicles) - moving} not, {tows} can tow; "
        f"{len(types)} types; {clear} route clearance ({teams} teams)",
    )
    counts.add_row(
        "equipment lots",
        str(len(sc.lots)),
        f"{sum(lot.sensitive for lot in sc.lots)} sensitive, "
        f"{sum(lot.mandatory for lot in sc.lots)} mandatory, "
        f"value {_num(sum(lot.value_usd for lot in sc.lots))} USD",
    )
    ev = sc.events
    stale = event_staleness(ev, sc.risk)
    newest = (
        ""
        if stale is None
        else f"; newest {stale.newest_date}, {stale.newest_age_days:.0f} days "
        "before the start"
    )
    counts.add_row(
        "events used",
        str(ev.num_events),
        Text(
            f"{ev.fmt} ({Path(ev.source).name}); ignored: "
            f"{ev.num_after_start} after the start, {ev.num_imprecise} "
            f"imprecise{newest}"
        ),
    )
    if stale is not None and stale.stale:
        warnings.warn(stale.message(ev.source), DataQualityWarning, stacklevel=2)
    console.print(counts)

    roads = Table(title="Road network", title_justify="left")
    roads.add_column("surface", overflow="fold")
    roads.add_column("km", justify="right", overflow="fold")
    km = net.surface_km()
    for s in SURFACES:
        roads.add_row(s, _num(km[s], 1))
    roads.add_row("[bold]total[/bold]", _num(sum(km.values()), 1))
    console.print(roads)
    comps = int(net.components().max()) + 1 if net.num_nodes else 0
    console.print(
        f"{net.num_nodes} nodes, {net.num_edges} edges, {comps} component(s), "
        f"CRS {net.crs.to_string()}; sites snapped at most "
        f"{max(net.site_snap_m.values(), default=0.0):.0f} m from the road",
        highlight=False,
        markup=False,
    )
    if net.repairs:
        console.print("Repairs made while building the network:")
        for r in net.repairs:
            console.print(f"  - {r}", markup=False, highlight=False)
    else:
        console.print("No repairs were needed.")

    try:
        dist = f"{route_km(sc):.1f} km"
    except NoRouteError as exc:  # read_scenario refuses this; kept for safety
        dist = str(exc)
    console.print(
        f"Shortest road distance {sc.origin} -> {sc.destination}: {dist}",
        markup=False,
        highlight=False,
    )

    cap = Table(title="Fleet (roadworthy) against what must move", title_justify="left")
    cap.add_column("capacity", overflow="fold")
    cap.add_column("fleet", justify="right", overflow="fold")
    cap.add_column("needed", justify="right", overflow="fold")
    cap.add_column("fleet / needed", justify="right", overflow="fold")
    for c in capacities(sc):
        ratio = "-" if c.needed == 0 else f"{c.ratio:.2f}"
        style = "red" if c.needed > 0 and c.ratio < 1 else ""
        cap.add_row(c.name, _num(c.fleet), _num(c.needed), ratio, style=style)
    console.print(cap)
    console.print("[green]The scenario is valid.[/green]")


@click.command(
    "validate",
    short_help="Load and check a scenario, then summarise it.",
    epilog="""\b
Examples:
  convoy validate kidal-gao
  convoy validate my-scenario/scenario.toml --json""",
)
@scenario_argument
@json_option
@guarded
def validate(scenario: str) -> None:
    """Load and check a scenario, then summarise it.

    PATH is a scenario folder or its scenario.toml; NAME an embedded scenario
    (default kidal-gao). Every problem in every file is reported at once, and
    nothing is written. Exit code 0 when valid, 2 when not.
    """
    sc = read_scenario(scenario)
    if json_output():
        echo_json(validate_json(sc))
    elif human_output():
        render_summary(sc, summary_console(highlight=False))


@click.command(
    "scenarios",
    epilog="""\b
Examples:
  convoy scenarios
  convoy scenarios -q     names only, one a line
  convoy scenarios --json""",
)
@json_option
@guarded
def scenarios() -> None:
    """List the embedded scenarios (name, title, folder).

    They live under geodata/ beside the package, or in the folder named by the
    CONVOY_GEODATA environment variable. With -q, only their names, one a line.
    """
    found = embedded_scenarios()
    if json_output():
        echo_json(
            {
                "command": "scenarios",
                "exit_code": 0,
                "folder": geodata_dir(),
                "scenarios": {
                    name: {"title": scenario_title(folder), "path": folder}
                    for name, folder in found.items()
                },
            }
        )
        return
    if quiet():
        for name in found:
            click.echo(name)
        return
    console = summary_console(highlight=False)
    if not found:
        console.print(f"No embedded scenarios in {geodata_dir()}", markup=False)
        return
    table = Table(title=f"Embedded scenarios ({geodata_dir()})", title_justify="left")
    table.add_column("name", overflow="fold")
    table.add_column("title", overflow="fold")
    table.add_column("path", overflow="fold")
    for name, folder in found.items():
        table.add_row(Text(name), Text(scenario_title(folder)), Text(str(folder)))
    console.print(table, highlight=False)
