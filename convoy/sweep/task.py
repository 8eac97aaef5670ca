"""One plan of a sweep, run where a worker runs it, from plain data.

:func:`run_combination` receives a task (:meth:`convoy.sweep.spec.Combination.task`:
the scenario file's path, the overrides, the fleet subset, the resample and draw
numbers, the seed), reads the scenario itself, builds its own models and returns one
row of the sweep's table as plain data. It never raises: a failure is a row with
``status = "failed"`` and the error, and the sweep goes on.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
import warnings
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

from convoy.document import PlanDocument
from convoy.errors import ConvoyError, Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal
from convoy.plan.inputs import (
    scenario_calibration,
    scenario_edge_risk,
    scenario_risk_field,
)
from convoy.scenario import Scenario
from convoy.sweep.spec import FLEET_TABLE

#: The outcomes of one plan, the columns of the table after the swept keys:
#: name, unit and what it is.
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("expected_incidents", "incidents", "expected incidents, IED + ambush"),
    ("expected_ied", "incidents", "expected IED incidents"),
    ("expected_ambush", "incidents", "expected ambush incidents"),
    ("arrival_h", "h", "arrival, hours after the scenario start"),
    ("travel_days", "days", "days from departure to arrival"),
    ("distance_km", "km", "road distance driven"),
    ("vehicles_moving", "vehicles", "vehicles in the column"),
    ("value_carried_usd", "USD", "value carried out"),
    ("value_left_usd", "USD", "value left behind"),
    ("loads_gap", "fraction", "gap of the loads to CP-SAT's proven bound"),
    ("scale_ied", "", "IED channel scale used"),
    ("scale_ambush", "", "ambush channel scale used"),
    ("mc_incidents_p90", "incidents", "Monte Carlo incidents, 90th percentile"),
    ("mc_arrival_p90_h", "h", "Monte Carlo arrival p90, hours after the start"),
    ("mc_p_miss_deadline", "probability", "Monte Carlo P(miss the deadline)"),
)

#: Text columns of a row besides the swept keys.
TEXT_COLUMNS: tuple[str, ...] = ("status", "error", "depart", "arrive", "loads_status")


#: Environment of the processes of a local cluster: one thread for numba's
#: parallel kernels and for BLAS, set before the worker starts. CP-SAT keeps the
#: scenario's ``[solver] workers`` (see :meth:`Combination.overrides`).
THREAD_ENV: dict[str, str] = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def limit_threads() -> None:
    """One numba thread for this task (the environment is for new processes)."""
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):  # no threading layer: nothing to limit
        pass


def bootstrap_events(events: ThreatEvents, rng: np.random.Generator) -> ThreatEvents:
    """
    A bootstrap resample of the events: as many, drawn with replacement.

    The drawn indices are sorted, so an event drawn twice counts twice in the
    risk field and the order of the sums is that of the file.
    """
    k = events.num_events
    ix = np.sort(rng.integers(0, k, size=k)) if k else np.arange(0)
    return dataclasses.replace(
        events,
        lonlat=events.lonlat[ix],
        xy=events.xy[ix],
        date=events.date[ix],
        age_days=events.age_days[ix],
        event_type=events.event_type[ix],
        sub_event_type=events.sub_event_type[ix],
        fatalities=events.fatalities[ix],
        geo_precision=events.geo_precision[ix],
    )


def fleet_subset(scenario: Scenario, subset: Mapping[str, Any]) -> Scenario:
    """
    The scenario with only the vehicles ``subset`` keeps.

    ``{"count": N}`` keeps the first N vehicles of the fleet file, ``{"ids":
    [...]}`` those ids (both: the first N of those ids).

    Raises
    ------
    ScenarioError
        A count outside [1, fleet size] or an id not in the fleet.
    """
    vehicles = list(scenario.vehicles)
    if "ids" in subset:
        ids = subset["ids"]
        known = {v.id for v in vehicles}
        if (
            not isinstance(ids, list)
            or not ids
            or not all(isinstance(i, str) for i in ids)
        ):
            raise ScenarioError(
                Problem(
                    "sweep", "grid", f"{FLEET_TABLE}.ids", "an array of ids", repr(ids)
                )
            )
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ScenarioError(
                Problem(
                    "sweep",
                    "grid",
                    f"{FLEET_TABLE}.ids",
                    "vehicle ids of the fleet file",
                    ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else ""),
                )
            )
        keep = set(ids)
        vehicles = [v for v in vehicles if v.id in keep]
    if "count" in subset:
        n = subset["count"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(vehicles):
            raise ScenarioError(
                Problem(
                    "sweep",
                    "grid",
                    f"{FLEET_TABLE}.count",
                    f"an integer in [1, {len(vehicles)}] (the fleet's vehicles)",
                    repr(n),
                )
            )
        vehicles = vehicles[:n]
    return dataclasses.replace(scenario, vehicles=tuple(vehicles))


def _scale_draw(rng: np.random.Generator, shape: float | None, what: str) -> float:
    """A multiplier of mean 1 from the Gamma(shape, 1/shape) posterior."""
    if shape is None or not shape > 0:
        msg = (
            f"scale draws: the {what} scale has no posterior (given in [risk], not "
            "fitted to a reference trip); set scale_draws = 0"
        )
        raise ScenarioError(msg)
    return float(rng.gamma(shape, 1.0 / shape))


def fix_scales(
    scenario: Scenario, draw: int, seed: int
) -> tuple[Scenario, float, float]:
    """
    The scenario with its channel scales fixed: fitted, or drawn when ``draw`` > 0.

    The scales are fitted on the scenario as it is (full fleet, its events), then
    written into ``[risk] scale_*`` with calibration off, so the plan uses them as
    given. A draw multiplies each fitted scale by ``g ~ Gamma(posterior_shape, 1 /
    posterior_shape)`` (mean 1); an ambush scale tied to the IED one (not observed)
    moves with it.
    """
    field0 = scenario_risk_field(scenario)
    cal = scenario_calibration(scenario, scenario_edge_risk(scenario, field0))
    s_ied, s_amb = cal.scale_ied, cal.scale_ambush
    if draw:
        if cal.channels is None:
            _scale_draw(np.random.default_rng(0), None, "IED")
        else:
            ied, amb = cal.channels
            rng = np.random.default_rng([seed, draw, 1])
            g_ied = _scale_draw(rng, ied.posterior_shape, "IED")
            g_amb = (
                g_ied
                if amb.source == "assumed"
                else _scale_draw(rng, amb.posterior_shape, "ambush")
            )
            s_ied, s_amb = ied.scale * g_ied, amb.scale * g_amb
    fixed = dataclasses.replace(
        scenario,
        risk=dataclasses.replace(scenario.risk, scale_ied=s_ied, scale_ambush=s_amb),
        calibration=dataclasses.replace(scenario.calibration, enabled=False),
    )
    return fixed, s_ied, s_amb


def build_scenario(
    task: Mapping[str, Any],
) -> tuple[Scenario, float | None, float | None]:
    """
    The scenario of a task, and the scales fixed here (None: the plan fits them).

    Read with its overrides, the events resampled, the scales fixed (for a draw
    or a fleet subset), the fleet subset taken.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = read_scenario(task["scenario"], overrides=task["overrides"])
    if task["resample"]:
        rng = np.random.default_rng([task["seed"], task["resample"], 0])
        sc = dataclasses.replace(sc, events=bootstrap_events(sc.events, rng))
    s_ied: float | None = None
    s_amb: float | None = None
    if task["draw"] or task["fleet"]:
        # the calibration's reference column is drawn from the whole fleet
        sc, s_ied, s_amb = fix_scales(sc, task["draw"], task["seed"])
    if task["fleet"]:
        sc = fleet_subset(sc, task["fleet"])
    return sc, s_ied, s_amb


def _hours(t: datetime, start: datetime) -> float:
    return (t - start).total_seconds() / 3600.0


def outcome_row(doc: PlanDocument, start: datetime) -> dict[str, Any]:
    """The outcome columns of a plan's document (:data:`OUTCOMES`)."""
    s = doc.summary
    lo = doc.loadout
    row: dict[str, Any] = {
        "expected_incidents": float(s.expected_incidents),
        "expected_ied": float(s.expected_ied_incidents),
        "expected_ambush": float(s.expected_ambush_incidents),
        "depart": s.depart.isoformat(),
        "arrive": s.arrive.isoformat(),
        "arrival_h": _hours(s.arrive, start),
        "travel_days": float(s.travel_days),
        "distance_km": float(s.distance_km),
        "vehicles_moving": int(s.vehicles_moving),
        "value_carried_usd": float(s.value_carried),
        "value_left_usd": float(s.value_left_behind),
        "loads_status": str(lo.status),
        "loads_gap": None if lo.gap is None else float(lo.gap),
        "scale_ied": float(doc.calibration.scale_ied),
        "scale_ambush": float(doc.calibration.scale_ambush),
        "mc_incidents_p90": None,
        "mc_arrival_p90_h": None,
        "mc_p_miss_deadline": None,
    }
    sim = doc.simulation
    if sim is not None:
        row["mc_incidents_p90"] = float(sim.incidents.p90)
        row["mc_arrival_p90_h"] = _hours(sim.arrival["p90"], start)
        row["mc_p_miss_deadline"] = float(sim.p_miss_deadline)
    return row


def run_combination(task: Mapping[str, Any]) -> dict[str, Any]:
    """
    Plan one combination; the row of the table (never raises).

    The row holds ``key``, ``status`` (``"ok"`` or ``"failed"``), ``error`` (one
    line, or None), the outcomes (:data:`OUTCOMES`, None when failed) and
    ``seconds`` (wall time, kept out of the table).
    """
    limit_threads()
    t0 = time.perf_counter()
    row: dict[str, Any] = {"key": task["key"], "status": "ok", "error": None}
    try:
        sc, _s_ied, _s_amb = build_scenario(task)
        plan = plan_withdrawal(sc, runs=int(task["runs"]))
        row.update(outcome_row(PlanDocument.from_plan(plan), sc.start))
    except ConvoyError as exc:
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug or a solver failure: recorded, the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}{where}")
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return row
