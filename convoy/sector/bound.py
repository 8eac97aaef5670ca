"""A lower bound on the routing's objective, to measure how far a solution may be.

Every vehicle of a camp drives its leg to the destination whatever it carries, so
the sum of those legs is in every solution. Beyond it, a camp's cargo that its
vehicles cannot carry is left and its value paid: relax the routing to one
capacity at a time (payload, then deck area), pool every trip any vehicle could
make to the camp by its last pickup (its own vehicles' trips, and the trips of
vehicles at the destination when they may go north; a vehicle counted at every
camp it could reach, which only loosens the bound), take the mandatory cargo
first, and fill the rest fractionally by value per unit (the linear relaxation
of the knapsack). The value that does not fit is a lower bound on that camp's
penalty; the larger of the two capacities' bounds is taken per camp. Fixed costs
and the risk of loaded trips beyond the first legs are bounded by 0.
"""

from __future__ import annotations

from convoy.sector.routing import DESTINATION, RoutingProblem


def _trips_to(camp_window: tuple[int, int, int, int], from_camp: bool) -> int:
    """Most trips one vehicle can load at a camp in its window."""
    opens, closes, leg, back = camp_window
    cycle = max(leg + back, 1)
    if from_camp:
        return 1 + max(0, (closes - opens - leg - back) // cycle + 1)
    if back > closes:
        return 0
    return 1 + max(0, (closes - back - leg - back) // cycle + 1)


def lower_bound(problem: RoutingProblem) -> float:
    """A lower bound on :func:`~convoy.sector.routing.route_fleet`'s objective, USD."""
    camps = {c.name: c for c in problem.camps}
    bound = float(
        sum(camps[v.camp].leg_usd for v in problem.carriers if v.camp != DESTINATION)
    )
    for name, c in camps.items():
        window = (c.opens_min, c.pickup_end_min, c.leg_min, c.return_min)
        cap_kg = cap_m2 = 0.0
        for v in problem.carriers:
            if v.camp == name:
                n = _trips_to(window, True)
            elif v.camp == DESTINATION and problem.northbound:
                n = _trips_to(window, False)
            else:
                n = 0
            cap_kg += n * v.payload_kg
            cap_m2 += n * v.deck_m2
        groups = [g for g in problem.cargo if g.camp == name]
        worst = 0.0
        for attr, cap in (("weight_kg", cap_kg), ("deck_m2", cap_m2)):
            room = cap - sum(getattr(g, attr) for g in groups if g.mandatory)
            optional = sorted(
                (g for g in groups if not g.mandatory and getattr(g, attr) > 0),
                key=lambda g: -g.value_usd / getattr(g, attr),
            )
            left = 0.0
            for g in optional:
                size = getattr(g, attr)
                took = min(max(room, 0.0), size)
                room -= took
                left += g.value_usd * (1.0 - took / size)
            worst = max(worst, left)
        bound += worst
    return bound
