"""Build the plan document from a :class:`convoy.plan.Plan`.

The one builder of plan.json's records: each trip's legs, halts, risk along the
route and trajectory (coordinates in EPSG:4326), the march tables, the loads and
what is left behind, the calibration and the input hashes. Deterministic: no
wall-clock time and no absolute path other than the scenario's own folder.
"""

from __future__ import annotations

import math
import platform
from datetime import datetime, timedelta

import numpy as np
from pyproj import Transformer

from convoy.calibrate import incidents_interval, ratio_interval
from convoy.document.loads import (
    LeftBehindRow,
    LoadoutInfo,
    LoadRow,
    MarchUnitRow,
    ParetoPoint,
    RiskTableInfo,
)
from convoy.document.records import (
    CalibrationInfo,
    ChannelInfo,
    Halt,
    Leg,
    MarchTableRow,
    ReferenceTripInfo,
    RiskPiece,
    ScenarioInfo,
    TrajectoryPoint,
    TripPlan,
    TripSummary,
)
from convoy.document.risk_model import background_incidents
from convoy.io.files import file_sha256
from convoy.march import MarchRow
from convoy.params import parse_hhmm
from convoy.plan import (
    Plan,
    Trip,
    leg_km,
    minute_of_day,
    node_names,
    trip_leg_nodes,
    unit_incidents,
)
from convoy.roads.network import RoadNetwork

#: Reasons recorded for a vehicle left behind.
REASON_UNROADWORTHY = "not roadworthy and no recovery vehicle free to tow it"
REASON_NOT_WORTH = "its value does not pay for the risk it adds"


class Clock:
    """Minutes after the scenario's start as times of plan.json (whole seconds)."""

    __slots__ = ("start",)

    def __init__(self, start: datetime) -> None:
        self.start = start

    def __call__(self, minutes: float) -> datetime:
        """The time ``minutes`` after the start, truncated to the second."""
        t = self.start + timedelta(minutes=float(minutes))
        return t.replace(microsecond=0)


class LonLat:
    """Projected coordinates of the road network as rounded (lon, lat) pairs."""

    def __init__(self, crs: object) -> None:
        self.t = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def __call__(self, xy: np.ndarray) -> tuple[tuple[float, float], ...]:
        """(n, 2) x, y -> n (lon, lat) pairs rounded to 6 decimals."""
        lon, lat = self.t.transform(xy[:, 0], xy[:, 1])
        return tuple(
            (round(float(a), 6), round(float(b), 6))
            for a, b in zip(lon, lat, strict=True)
        )


def _edge_xy(roads: RoadNetwork, edge: int, reverse: bool) -> np.ndarray:
    xy = np.asarray(roads.edge_geometry[edge].coords, dtype=np.float64)[:, :2]
    return xy[::-1] if reverse else xy


def trip_summary(plan: Plan, trip: Trip, clock: Clock) -> TripSummary:
    """SUMMARY of one priced trip."""
    legs = trip.trip.trajectory.legs
    exp = trip.trip.exposure
    depart, arrive = legs[0].depart_min, legs[-1].arrive_min
    distance = sum(leg_km(plan.scenario, leg.edge) for leg in legs)
    cal = plan.calibration
    band = None
    if cal.channels is not None:
        units = unit_incidents(
            plan.scenario, plan.risk_field, trip, (cal.scale_ied, cal.scale_ambush)
        )
        band = incidents_interval(cal.channels, *units)
    return TripSummary(
        expected_incidents=exp.total,
        expected_ied_incidents=exp.ied,
        expected_ambush_incidents=exp.ambush,
        depart=clock(depart),
        arrive=clock(arrive),
        travel_days=(arrive - depart) / 1440.0,
        distance_km=distance,
        vehicles_moving=len(trip.vehicle_ids),
        value_carried=trip.value_carried,
        value_left_behind=trip.value_left_behind,
        feasible=True,
        note=trip.note,
        expected_ambush_moving=exp.ambush_moving,
        expected_ambush_halted=exp.ambush_halted,
        breakdowns_expected=exp.breakdowns,
        fuel_l=exp.fuel_l,
        crew_hours=exp.crew_hours,
        running_cost_incidents=exp.price,
        background_incidents=background_incidents(plan, trip),
        expected_incidents_low=None if band is None else band[0],
        expected_incidents_high=None if band is None else band[1],
    )


def _risk_pieces(
    plan: Plan, trip: Trip, i: int, km: float, reverse: bool, lonlat: LonLat
) -> list[RiskPiece]:
    """The 250 m pieces of leg ``i``, in the direction of travel."""
    sc, er, m = plan.scenario, plan.edge_risk, trip.model
    leg = trip.trip.trajectory.legs[i]
    e = leg.edge
    clock = Clock(sc.start)
    lo, hi = int(er.offsets[e]), int(er.offsets[e + 1])
    s = er.s_m[lo:hi]
    ied, amb = er.ied[lo:hi], er.ambush[lo:hi]
    if reverse:
        s = s[-1] - s[::-1]
        ied, amb = ied[::-1], amb[::-1]
    f = (1.0 if leg.mode == "normal" else m.clearance_ied_factor) * m.ied_column_factor
    span = leg.arrive_min - leg.depart_min
    line = sc.roads.edge_geometry[e]
    pos = np.asarray(s if not reverse else line.length - s)
    pts = np.asarray([line.interpolate(p).coords[0][:2] for p in pos])
    ll = lonlat(pts)
    day_km, night_km = m.column_day_km, m.column_night_km
    col_km = day_km if m.is_daylight(leg.depart_min, leg.arrive_min) else night_km
    out = []
    for j in range(len(s) - 1):
        d_km = (s[j + 1] - s[j]) / 1000.0
        t_head = leg.depart_min + span * (s[j] / max(s[-1], 1e-9))
        hour = int(((minute_of_day(sc.start) + t_head) // 60) % 24)
        ied_km = 0.5 * (ied[j] + ied[j + 1]) * er.diurnal_ied[hour] * f
        amb_kmh = 0.5 * (amb[j] + amb[j + 1]) * er.diurnal_ambush[hour]
        out.append(
            RiskPiece(
                km_from=km + s[j] / 1000.0,
                km_to=km + s[j + 1] / 1000.0,
                head_time=clock(t_head),
                ied_per_km=ied_km,
                ambush_per_km_h=amb_kmh,
                expected=ied_km * d_km + amb_kmh * d_km * col_km / leg.speed_kph,
                coords=(ll[j], ll[j + 1]),
            )
        )
    return out


def trip_plan(
    plan: Plan,
    trip: Trip,
    lonlat: LonLat,
    march: list[MarchRow] | None,
) -> TripPlan:
    """PLAN of one priced trip: legs, halts, risk along the route, trajectory."""
    sc = plan.scenario
    clock = Clock(sc.start)
    names = node_names(sc)
    m = trip.model
    exp = trip.trip.exposure
    legs: list[Leg] = []
    risk: list[RiskPiece] = []
    traj: list[TrajectoryPoint] = []
    km = 0.0
    for i, (leg, (a, b)) in enumerate(
        zip(trip.trip.trajectory.legs, trip_leg_nodes(trip), strict=True)
    ):
        e = leg.edge
        reverse = a != int(m.edge_u[e])
        length_km = leg_km(sc, e)
        legs.append(
            Leg(
                from_site=names.get(a, f"km {km:.0f}"),
                to_site=names.get(b, f"km {km + length_km:.0f}"),
                from_node=a,
                to_node=b,
                depart=clock(leg.depart_min),
                arrive=clock(leg.arrive_min),
                mode=leg.mode,
                length_km=length_km,
                speed_kph=leg.speed_kph,
                expected_ied=float(exp.leg_ied[i]),
                expected_ambush=float(exp.leg_ambush[i]),
                road=sc.roads.edge_name[e],
                coords=lonlat(_edge_xy(sc.roads, e, reverse)),
            )
        )
        if not traj or traj[-1].time != clock(leg.depart_min):
            traj.append(TrajectoryPoint(clock(leg.depart_min), km))
        risk += _risk_pieces(plan, trip, i, km, reverse, lonlat)
        km += length_km
        traj.append(TrajectoryPoint(clock(leg.arrive_min), km))
    node_ll = lonlat(np.asarray(sc.roads.node_xy, dtype=np.float64))
    km_at: dict[int, float] = {}
    done = 0.0
    for leg_out in legs:
        done += leg_out.length_km
        km_at.setdefault(leg_out.to_node, done)
    halts = [
        Halt(
            site=names.get(h.node, f"roadside halt at km {km_at.get(h.node, 0.0):.0f}"),
            node=h.node,
            lon=node_ll[h.node][0],
            lat=node_ll[h.node][1],
            start=clock(h.start_min),
            end=clock(h.end_min),
            hours=(h.end_min - h.start_min) / 60.0,
            expected_ambush=float(exp.halt_ambush[j]),
        )
        for j, h in enumerate(trip.trip.trajectory.halts)
    ]
    return TripPlan(
        summary=trip_summary(plan, trip, clock),
        legs=tuple(legs),
        halts=tuple(halts),
        risk_along_route=tuple(risk),
        trajectory=tuple(traj),
        march_table=None if march is None else march_rows(clock, march),
    )


def march_rows(clock: Clock, rows: list[MarchRow]) -> tuple[MarchTableRow, ...]:
    """The road movement table of one trip."""
    return tuple(
        MarchTableRow(
            unit=r.unit,
            serial=r.serial,
            checkpoint=r.checkpoint,
            kind=r.kind,
            km=r.km,
            head_arrival=clock(r.head_arrival_min),
            tail_clearance=clock(r.tail_clearance_min),
            pass_time_min=r.pass_time_min,
            halt_until=None if r.halt_until_min is None else clock(r.halt_until_min),
        )
        for r in rows
    )


def load_rows(plan: Plan) -> tuple[LoadRow, ...]:
    """Each vehicle of the loads: status, tow, lots carried, load."""
    by_vehicle: dict[str, list[str]] = {}
    for d in plan.loadout.lots:
        if d.vehicle_id is not None:
            by_vehicle.setdefault(d.vehicle_id, []).append(d.lot_id)
    vtype = {v.id: v.type for v in plan.scenario.vehicles}
    return tuple(
        LoadRow(
            vehicle=v.vehicle_id,
            type=vtype[v.vehicle_id],
            status=v.status,
            towed_by=v.towed_by,
            tows=v.tows,
            lots=tuple(by_vehicle.get(v.vehicle_id, [])),
            load_kg=v.load_kg,
            deck_m2=v.load_m2,
            seats_used=v.seats_used,
            value_usd=v.value_usd,
        )
        for v in plan.loadout.vehicles
    )


def left_behind_rows(plan: Plan) -> tuple[LeftBehindRow, ...]:
    """Every lot and vehicle not moved, with its disposition and the reason."""
    sc = plan.scenario
    lot_by_id = {lot.id: lot for lot in sc.lots}
    veh_by_id = {v.id: v for v in sc.vehicles}
    left = []
    for d in plan.loadout.lots:
        if d.disposition == "carried":
            continue
        lot = lot_by_id[d.lot_id]
        left.append(
            LeftBehindRow(
                kind="lot",
                id=lot.id,
                category=lot.category,
                camp=lot.camp,
                weight_kg=lot.weight_kg,
                deck_m2=lot.deck_m2,
                value_usd=lot.value_usd,
                disposition=d.disposition,
                reason=d.reason,
            )
        )
    for v in plan.loadout.vehicles:
        if v.status in ("moving", "towed"):
            continue
        veh = veh_by_id[v.vehicle_id]
        left.append(
            LeftBehindRow(
                kind="vehicle",
                id=veh.id,
                category=veh.type,
                camp=veh.camp,
                weight_kg=0.0,
                deck_m2=0.0,
                value_usd=veh.value_usd,
                disposition=v.status,
                reason=REASON_UNROADWORTHY if not veh.roadworthy else REASON_NOT_WORTH,
            )
        )
    return tuple(left)


def scenario_info(plan: Plan) -> ScenarioInfo:
    """The scenario's identity, times and the SHA-256 of each input file."""
    sc = plan.scenario
    files = sc.files
    inputs = {p.name: file_sha256(p) for p in files.inputs()}
    clock = Clock(sc.start)
    return ScenarioInfo(
        name=sc.name,
        title=sc.title,
        path=str(files.scenario.parent.resolve()),
        start=clock(0.0),
        deadline=clock(sc.horizon_min),
        origin=sc.origin,
        destination=sc.destination,
        air_cover=sc.air_cover,
        personnel=sc.personnel,
        seed=sc.seed,
        crs=sc.roads.crs.to_string(),
        inputs=inputs,
    )


#: What the document says when no trip counted ambushes.
AMBUSH_ASSUMED = (
    "ambush: assumed, not observed: no reference trip counted attacks by fire, so "
    "the ambush level is ambush_per_ied ({k:g}) expected ambushes per observed IED "
    "on the calibration trips, with the IED count's interval"
)


def calibration_info(plan: Plan) -> CalibrationInfo:
    """The calibration scales the plan used, their intervals and the trips."""
    cal = plan.calibration
    channels = None
    if cal.channels is not None:
        channels = tuple(
            ChannelInfo(
                c.channel,
                c.scale,
                c.lower,
                c.upper,
                c.count,
                c.exposure,
                c.posterior_shape,
                c.source,
            )
            for c in cal.channels
        )
    trips = tuple(
        ReferenceTripInfo(
            t.name,
            t.unit_ied * cal.scale_ied,
            t.unit_ambush * cal.scale_ambush,
            t.observed_ied,
            t.observed_ambush,
            t.used,
            t.holdout,
        )
        for t in cal.trips
    )
    ratio = None
    if "historical" in plan.trips:
        h, o = plan.trips["historical"].trip.exposure, plan.optimised.trip.exposure
        ratio = ratio_interval(cal.channels, (h.ied, h.ambush), (o.ied, o.ambush))
    return CalibrationInfo(
        scale_ied=cal.scale_ied,
        scale_ambush=cal.scale_ambush,
        reference="historical",
        target_ied_incidents=cal.target_ied_incidents,
        calibrated=cal.calibrated,
        interval=cal.interval,
        channels=channels,
        trips=trips or None,
        ambush_note=AMBUSH_ASSUMED.format(k=plan.scenario.risk.ambush_per_ied)
        if cal.ambush_assumed
        else None,
        historical_ratio=ratio,
    )


def loadout_info(plan: Plan) -> LoadoutInfo:
    """The load plan's solver outcome and the price of an incident."""
    lp = plan.loadout
    return LoadoutInfo(
        status=lp.status,
        objective=lp.objective_usd,
        bound=lp.bound_usd,
        gap=lp.gap,
        departure_delay_min=lp.departure_delay_min,
        incident_usd=plan.scenario.prices.incident_usd,
        method=lp.method,
        destruction_team_hours=lp.destruction_team_hours,
        expected_incidents_table=lp.expected_incidents,
        gap_target=lp.gap_target,
        time_limit_s=lp.time_limit_s,
        solves=tuple(
            {
                "role": r.role,
                "status": r.status,
                "bound": r.bound_usd,
                "limit_s": r.limit_s,
                "time_s": r.time_s,
            }
            for r in lp.solves
        ),
    )


def risk_table_info(plan: Plan) -> RiskTableInfo:
    """The risk table, NaN where no schedule exists."""
    t = plan.risk_table
    inc = np.where(np.isfinite(t.incidents), t.incidents, math.nan)
    return RiskTableInfo(
        num_vehicles=tuple(t.num_vehicles.tolist()),
        delay_min=tuple(t.delay_min.tolist()),
        incidents=tuple(tuple(row) for row in inc.tolist()),
    )


def pareto_points(plan: Plan) -> tuple[ParetoPoint, ...]:
    """The price sweep, if the plan made one."""
    return tuple(
        ParetoPoint(
            incident_usd=p["incident_usd"],
            expected_incidents=p["expected_incidents"],
            value_saved_usd=p["value_saved_usd"],
            vehicles_moving=p["vehicles_moving"],
            gap=p.get("gap"),
            dominated=None if "dominated" not in p else bool(p["dominated"]),
            proven=None if "proven" not in p else bool(p["proven"]),
        )
        for p in plan.pareto
    )


def march_unit_rows(plan: Plan) -> tuple[MarchUnitRow, ...]:
    """The optimised plan's march units."""
    return tuple(
        MarchUnitRow(
            unit=u.name,
            serial=u.serial,
            vehicles=tuple(u.vehicle_ids),
            length_km=u.length_m / 1000.0,
            start_offset_min=u.offset_min,
        )
        for u in plan.march_units
    )


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries that decide the numbers."""
    # imported here: only plan.json needs them, and numba is slow to import
    import numba
    import ortools

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "ortools": ortools.__version__,  # type: ignore[attr-defined]
    }


def movement_info(
    plan: Plan,
) -> tuple[tuple[tuple[str, str], ...], tuple[str, str], int]:
    """(movement windows, daylight, minute of day of the start) of the scenario."""
    mv = plan.scenario.movement
    windows = tuple((str(a), str(b)) for a, b in mv.windows)
    start_minute = parse_hhmm(plan.scenario.start.strftime("%H:%M"))
    return windows, (mv.day_start, mv.day_end), start_minute
