"""What a kilometre and an hour of a column cost, and the gaps in its pass time.

The schedule's objective adds to the expected incidents the running cost of the
column (see :mod:`convoy.schedule.search`): expected breakdowns and fuel per km, crew
hours per hour after departure, priced by ``[prices]`` and converted to
expected-incident equivalents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from convoy.params import MovementParams, PriceParams


@dataclass(frozen=True, slots=True)
class ColumnCosts:
    """
    Per-km and per-hour quantities of a column and their prices.

    Parameters
    ----------
    breakdowns_per_km
        Sum over the vehicles of ``-ln(reliability) / 100``: the constant hazard
        per km the Monte Carlo draws breakdowns at (none in 100 km with
        probability ``reliability``).
    fuel_l_per_km
        Litres per km of the whole column.
    crew
        Persons in the column's crews.
    breakdown_price, fuel_price_l, crew_hour_price
        Prices in expected incidents (``[prices]`` dollars over ``incident_usd``).
    """

    breakdowns_per_km: float = 0.0
    fuel_l_per_km: float = 0.0
    crew: float = 0.0
    breakdown_price: float = 0.0
    fuel_price_l: float = 0.0
    crew_hour_price: float = 0.0


def column_costs(
    reliabilities: Sequence[float],
    fuel_l_per_km: Sequence[float],
    prices: PriceParams,
) -> ColumnCosts:
    """
    What a km and an hour of a column cost, from its vehicles and ``[prices]``.

    Parameters
    ----------
    reliabilities
        Each vehicle's probability of covering 100 km without a breakdown, in (0, 1].
    fuel_l_per_km
        Each vehicle's litres per km.
    prices
        Dollar prices; converted to expected incidents by ``incident_usd`` (all 0
        when it is 0: nothing to convert with).
    """
    rate = float(sum(-math.log(r) / 100.0 for r in reliabilities))
    usd = prices.incident_usd
    scale = 1.0 / usd if usd > 0 else 0.0
    return ColumnCosts(
        breakdowns_per_km=rate,
        fuel_l_per_km=float(sum(fuel_l_per_km)),
        crew=prices.crew_per_vehicle * len(reliabilities),
        breakdown_price=prices.breakdown_usd * scale,
        fuel_price_l=prices.fuel_usd_per_l * scale,
        crew_hour_price=prices.crew_hour_usd * scale,
    )


def column_gaps_min(num_vehicles: int, movement: MovementParams) -> float:
    """
    Time gaps inside a column of march units and serials, in minutes (FM 55-30).

    ``(units - 1) * march_unit_gap_min + (serials - 1) * serial_gap_min`` with
    ``units = ceil(n / march_unit_max)`` and ``serials = ceil(units /
    march_units_per_serial)``, as :func:`convoy.march.march_units` cuts the column.
    """
    if num_vehicles <= 0:
        return 0.0
    units = -(-num_vehicles // movement.march_unit_max)
    serials = -(-units // movement.march_units_per_serial)
    return (units - 1) * movement.march_unit_gap_min + (
        serials - 1
    ) * movement.serial_gap_min
