"""Plan a withdrawal: the one place below the CLI that unpacks a ``Scenario``.

- :mod:`convoy.plan.inputs`: the scenario turned into the plain inputs of the layers
  below (risk field, exposure model, calibration, risk table, contraction);
- :mod:`convoy.plan.withdrawal`: :func:`plan_withdrawal` and the :class:`Plan` it
  returns;
- :mod:`convoy.plan.montecarlo`: the Monte Carlo of a planned trip.
"""

from convoy.baselines import Trip
from convoy.plan.inputs import (
    calibrated_risk_field,
    contracted_model,
    halt_sites_too_small,
    leg_km,
    minute_of_day,
    node_names,
    origin_vehicles,
    plan_scenario_schedule,
    price_reference_trip,
    reference_fits,
    reference_vehicles,
    revisit_note,
    scenario_calibration,
    scenario_exposure_model,
    scenario_risk_field,
    scenario_risk_table,
    trip_leg_nodes,
    unit_incidents,
    validate_reference_trips,
)
from convoy.plan.montecarlo import planned_vehicles, simulate_plan, trip_exposure
from convoy.plan.withdrawal import PARETO_TIME_SHARE, Plan, plan_withdrawal

__all__ = [
    "PARETO_TIME_SHARE",
    "Plan",
    "Trip",
    "calibrated_risk_field",
    "contracted_model",
    "halt_sites_too_small",
    "leg_km",
    "minute_of_day",
    "node_names",
    "origin_vehicles",
    "plan_scenario_schedule",
    "plan_withdrawal",
    "planned_vehicles",
    "price_reference_trip",
    "reference_fits",
    "reference_vehicles",
    "revisit_note",
    "scenario_calibration",
    "scenario_exposure_model",
    "scenario_risk_field",
    "scenario_risk_table",
    "simulate_plan",
    "trip_exposure",
    "trip_leg_nodes",
    "unit_incidents",
    "validate_reference_trips",
]
