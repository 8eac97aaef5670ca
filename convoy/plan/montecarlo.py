"""The Monte Carlo of a planned trip, with the scenario's fleet and assumptions.

:func:`trip_exposure` and :func:`planned_vehicles` turn a priced trip and its loads
into the plain records :mod:`convoy.simulate` takes; :func:`simulate_plan` runs it.
``convoy simulate`` gets the same records from a written plan.json.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from convoy.baselines import (
    Trip,
)
from convoy.errors import Problem, ScenarioError
from convoy.loadout import LoadPlan
from convoy.params import SimulationParams
from convoy.plan.inputs import leg_km
from convoy.scenario import Scenario
from convoy.simulate import (
    ColumnVehicle,
    PlannedVehicle,
    SimulationResult,
    TripExposure,
    simulate_column,
)


def _whole_seconds(scenario: Scenario, minutes: float) -> datetime:
    """The time ``minutes`` after the start, to the second (as plan.json has it)."""
    t = scenario.start + timedelta(minutes=float(minutes))
    return t.replace(microsecond=0)


def trip_exposure(scenario: Scenario, trip: Trip) -> TripExposure:
    """One priced trip as the Monte Carlo takes it: the same numbers plan.json holds."""
    legs = trip.trip.trajectory.legs
    exp = trip.trip.exposure
    return TripExposure(
        plan=trip.name,
        leg_ied=tuple(float(x) for x in exp.leg_ied),
        leg_ambush=tuple(float(x) for x in exp.leg_ambush),
        halt_ambush=tuple(float(x) for x in exp.halt_ambush),
        leg_km=tuple(leg_km(scenario, leg.edge) for leg in legs),
        planned_arrive=_whole_seconds(scenario, legs[-1].arrive_min),
        deadline=_whole_seconds(scenario, scenario.horizon_min),
        leg_hours=tuple((leg.depart_min / 60.0, leg.arrive_min / 60.0) for leg in legs),
        halt_hours=tuple(
            (h.start_min / 60.0, h.end_min / 60.0) for h in trip.trip.trajectory.halts
        ),
    )


def planned_vehicles(loadout: LoadPlan) -> tuple[PlannedVehicle, ...]:
    """The load plan's vehicles (status and tow) in its order."""
    return tuple(
        PlannedVehicle(v.vehicle_id, v.status, v.tows) for v in loadout.vehicles
    )


def simulate_plan(
    scenario: Scenario,
    trip: TripExposure,
    vehicles: Sequence[PlannedVehicle],
    *,
    num_runs: int = 10_000,
    seed: int | None = None,
    params: SimulationParams | None = None,
    progress: Callable[[int, int], None] | None = None,
    rate_shape: tuple[float | None, float | None] | None = None,
    ambush_follows_ied: bool = False,
) -> SimulationResult:
    """
    Monte Carlo of one planned trip, with the scenario's fleet and assumptions.

    Parameters
    ----------
    scenario
        The scenario the plan was made from: each vehicle's reliability and
        recovery role, the seed and ``[simulation]`` assumptions.
    trip
        The trip (:func:`trip_exposure`, or
        :meth:`convoy.document.PlanDocument.trip_exposure` from plan.json).
    vehicles
        The plan's loads (:func:`planned_vehicles`, or
        :meth:`convoy.document.PlanDocument.planned_vehicles`); the moving ones
        form the column.
    num_runs
        Number of runs, 1 to :data:`convoy.simulate.MAX_RUNS`.
    seed
        Seed of the generator; default the scenario's.
    params
        Assumptions; default the scenario's ``[simulation]``.
    progress
        Called as ``progress(done, num_runs)`` as the chunks of runs are done
        (:func:`convoy.simulate.simulate_column`); the result does not depend on it.
    rate_shape
        Gamma shapes (IED, ambush) of the calibration's posterior on its scales
        (None each: fixed); see :func:`convoy.simulate.simulate_column`.
    ambush_follows_ied
        Each run draws one multiplier for both channels (the ambush level was
        assumed from the IED level).

    Returns
    -------
    SimulationResult

    Raises
    ------
    ScenarioError
        A moving vehicle the fleet does not have, or a bad ``num_runs``.

    Examples
    --------
    >>> doc = PlanDocument.read("plan/plan.json")  # doctest: +SKIP
    >>> trip, loads = doc.trip_exposure(), doc.planned_vehicles()  # doctest: +SKIP
    >>> res = simulate_plan(sc, trip, loads)  # doctest: +SKIP
    >>> res.p_miss_deadline  # doctest: +SKIP
    0.0
    """
    by_id = {v.id: v for v in scenario.vehicles}
    column = []
    for i, pv in enumerate(vehicles):
        if pv.status != "moving":
            continue
        v = by_id.get(pv.vehicle_id)
        if v is None:
            raise ScenarioError(
                Problem(
                    "plan.json",
                    f"loads[{i}]",
                    "vehicle",
                    f"a vehicle of {scenario.files.fleet.name}",
                    repr(pv.vehicle_id),
                )
            )
        column.append(
            ColumnVehicle(v.id, v.reliability, v.can_tow, pv.tows is not None)
        )
    return simulate_column(
        trip,
        column,
        num_runs=num_runs,
        seed=scenario.seed if seed is None else int(seed),
        params=params or scenario.simulation,
        progress=progress,
        rate_shape=rate_shape,
        ambush_follows_ied=ambush_follows_ied,
    )


def recovery_note(
    scenario: Scenario,
    trip: TripExposure,
    vehicles: Sequence[PlannedVehicle],
    result: SimulationResult,
) -> str:
    """
    What the tows from the camp cost on the road, or "" when there are none.

    Recovery vehicles that tow unroadworthy vehicles from the origin are busy to
    the destination; the note compares the Monte Carlo's vehicles lost to
    breakdowns with those of the same runs (same seed) with every recovery
    vehicle free.
    """
    towing = sum(1 for v in vehicles if v.status == "moving" and v.tows is not None)
    if not towing:
        return ""
    free = [PlannedVehicle(v.vehicle_id, v.status, None) for v in vehicles]
    alt = simulate_plan(
        scenario,
        trip,
        [v for v in free if v.status == "moving"],
        num_runs=result.num_runs,
        seed=result.seed,
        params=result.params,
        rate_shape=result.rate_shape,
        ambush_follows_ied=result.ambush_follows_ied,
    )
    return (
        f"recovery: {towing} of {result.num_recovery + towing} recovery vehicles "
        f"tow unroadworthy vehicles from {scenario.origin} to the destination; the "
        f"Monte Carlo loses {result.lost_breakdown.mean():.1f} vehicles a run to "
        f"breakdowns, {alt.lost_breakdown.mean():.1f} if they were free to recover "
        "breakdowns on the road"
    )
