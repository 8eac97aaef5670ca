"""Fleet routing of a sector with OR-Tools' RoutingModel.

Locations are the destination and the camps. Every cargo group (:class:`Cargo`)
is a pickup node at its camp and a delivery node at the destination, tied by
``AddPickupAndDelivery`` (same vehicle, pickup first). A vehicle starts at its camp
(or at the destination, when vehicles there may go north) and ends at the
destination; between the two it may shuttle: deliver, drive north empty, load again
(its trips). Dimensions: payload (kg), deck area (dm², integer), seats (persons),
and time (minutes after the start) with windows: a pickup at a camp between its
opening and the last time a column can leave it before it closes
(``SectorCamp.pickup_end_min``), every node before the horizon. Optional cargo is a
disjunction whose penalty is its value; mandatory cargo and personnel have none.
Each vehicle that carries anything costs ``fixed_usd``; every vehicle of a camp
drives its leg to the destination, loaded or not; every arc costs the risk of
driving it: a vehicle's share of the expected incidents of a column on that leg at
its best departure (computed by the caller with the time-expanded search), priced
at the incident price.

Arcs between two different camps are not allowed (a trip loads at one camp): the
leg is given a travel time beyond the horizon, so no solution uses it. Per-vehicle
arc costs cannot see that two columns on one road cost about twice one, so camps
are joined at the level of convoys instead, priced by the whole model
(``convoy.plan.sector``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from time import monotonic

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from convoy.errors import InfeasibleError, ScenarioError
from convoy.sector.groups import Cargo

#: Name of the destination location in :class:`VehicleTrip` and carriers' ``camp``.
DESTINATION = ""


@dataclass(frozen=True, slots=True)
class SectorCamp:
    """
    A camp as the routing sees it: its window, its legs to and from the destination.

    ``opens_min``/``closes_min``: minutes after the start; ``leg_min``: driving
    time of a column from the camp to the destination, ``return_min`` back (both
    minutes, from the time-expanded search); ``leg_usd``/``return_usd``: one
    vehicle's share of the expected incidents of those legs, in US dollars;
    ``last_depart_min``: the last time a column can leave the camp by its closing
    (the movement windows allow it; -1: the closing), the end of its pickups.
    """

    name: str
    opens_min: int
    closes_min: int
    leg_min: int
    return_min: int
    leg_usd: int
    return_usd: int
    last_depart_min: int = -1

    @property
    def pickup_end_min(self) -> int:
        """The last time its cargo may be loaded, minutes after the start."""
        if self.last_depart_min < 0:
            return self.closes_min
        return max(self.opens_min, min(self.closes_min, self.last_depart_min))


@dataclass(frozen=True, slots=True)
class Carrier:
    """A vehicle of the routing: where it starts and what it holds."""

    id: str
    camp: str  # a camp name, or DESTINATION
    payload_kg: float
    deck_m2: float
    seats: int


@dataclass(frozen=True, slots=True)
class RoutingProblem:
    """Everything :func:`route_fleet` needs; see the module docstring."""

    camps: tuple[SectorCamp, ...]
    carriers: tuple[Carrier, ...]
    cargo: tuple[Cargo, ...]
    horizon_min: int
    fixed_usd: int
    northbound: bool = True
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GREEDY_DESCENT"
    time_limit_s: float = 30.0
    solution_limit: int = 0
    decompose_groups: int = 0


@dataclass(frozen=True, slots=True)
class VehicleTrip:
    """
    One trip of one vehicle.

    Loaded at ``camp`` at ``load_min``, at the destination at ``arrive_min``
    (minutes after the start, the routing's estimate), with the cargo groups
    ``cargo`` (indices into the problem's cargo). ``from_north``: the vehicle
    drove north to the camp for this trip (it started at the destination, or it
    comes back for another trip).
    """

    vehicle_id: str
    trip: int
    camp: str
    load_min: int
    arrive_min: int
    cargo: tuple[int, ...]
    from_north: bool = False


@dataclass(frozen=True, slots=True)
class RoutingResult:
    """
    The routes: every trip, the cargo left, the solver's status and costs.

    ``objective`` is the solver's; ``arc_usd``, ``fixed_usd`` and ``penalty_usd``
    are recomputed from the routes (:func:`route_cost`), ``cost_usd`` their sum;
    ``timed_out``: the time limit stopped the search (the routes then depend on
    the machine's speed and load).
    """

    status: str
    objective: int
    trips: tuple[VehicleTrip, ...]
    dropped: tuple[int, ...]
    arc_usd: int
    fixed_usd: int
    penalty_usd: int
    timed_out: bool = False

    @property
    def cost_usd(self) -> int:
        """Arcs, fixed costs and penalties, US dollars."""
        return self.arc_usd + self.fixed_usd + self.penalty_usd


def _enum(enum: object, name: str, key: str) -> int:
    value = getattr(enum, name, None)
    if not isinstance(value, int) or name.startswith("_"):
        choices = sorted(k for k in dir(enum) if k.isupper())
        msg = f"[solver] {key}: expected one of {choices}, found {name!r}"
        raise ScenarioError(msg)
    return value


_STATUS = {
    0: "ROUTING_NOT_SOLVED",
    1: "ROUTING_SUCCESS",
    2: "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED",
    3: "ROUTING_FAIL",
    4: "ROUTING_FAIL_TIMEOUT",
    5: "ROUTING_INVALID",
    6: "ROUTING_INFEASIBLE",
    7: "ROUTING_OPTIMAL",
}


def route_cost(
    problem: RoutingProblem, trips: Sequence[VehicleTrip], dropped: Sequence[int]
) -> tuple[int, int, int]:
    """
    ``(arc_usd, fixed_usd, penalty_usd)`` of a set of trips, from the problem.

    Every vehicle that carries anything pays ``fixed_usd``; every vehicle of a
    camp drives its leg to the destination, loaded or not. Each trip pays its leg
    to the destination, and the empty return north before it unless it is the
    first trip of a vehicle starting at that camp.
    """
    camp = {c.name: c for c in problem.camps}
    by_vehicle: dict[str, list[VehicleTrip]] = {}
    for t in trips:
        by_vehicle.setdefault(t.vehicle_id, []).append(t)
    arc = fixed = 0
    for car in problem.carriers:
        mine = sorted(by_vehicle.get(car.id, []), key=lambda t: t.trip)
        carrying = [t for t in mine if t.cargo]
        if carrying:
            fixed += problem.fixed_usd
        if car.camp != DESTINATION and not carrying:
            arc += camp[car.camp].leg_usd
        for k, t in enumerate(carrying):
            c = camp[t.camp]
            arc += c.leg_usd
            if k > 0 or car.camp == DESTINATION:
                arc += c.return_usd
    penalty = sum(round(problem.cargo[i].value_usd) for i in dropped)
    return arc, fixed, penalty


def route_fleet(problem: RoutingProblem) -> RoutingResult:
    """
    Route the fleet of a sector; see the module docstring for the model.

    With more cargo groups than ``problem.decompose_groups`` (when not 0) and two
    or more camps, the sector is routed camp by camp (:func:`_route_by_camp`).

    Raises
    ------
    InfeasibleError
        When the solver finds no solution (a camp that cannot be emptied in time:
        the caller names it first, :func:`convoy.plan.sector`).
    ScenarioError
        An unknown strategy or metaheuristic name in ``[solver]``.
    """
    if (
        problem.decompose_groups
        and len(problem.cargo) > problem.decompose_groups
        and len(problem.camps) > 1
    ):
        return _route_by_camp(problem)
    return _route_one(problem)


def _share_north(problem: RoutingProblem) -> dict[str, list[Carrier]]:
    """
    The destination's vehicles shared out among the camps, by their shortfall.

    A camp's shortfall is the vehicles it lacks to carry its cargo in one trip of
    its own fleet, in payload, deck and seats, counted in the destination fleet's
    mean vehicle (the largest of the three). Camps take their shortfall in order
    of closing (the first to close first), from the destination's vehicles in the
    order given; vehicles left over stay at the destination.
    """
    north = [c for c in problem.carriers if c.camp == DESTINATION]
    out: dict[str, list[Carrier]] = {c.name: [] for c in problem.camps}
    if not problem.northbound or not north:
        return out
    mean = [sum(getattr(c, a) for c in north) / len(north) for a in _CAPACITY]
    at = 0
    for camp in sorted(problem.camps, key=lambda c: (c.closes_min, c.name)):
        own = [c for c in problem.carriers if c.camp == camp.name]
        mine = [g for g in problem.cargo if g.camp == camp.name]
        need = 0
        for (attr, cargo_attr), m in zip(
            zip(_CAPACITY, ("weight_kg", "deck_m2", "seats"), strict=True),
            mean,
            strict=True,
        ):
            short = sum(getattr(g, cargo_attr) for g in mine)
            short -= sum(getattr(c, attr) for c in own)
            if short > 0:
                need = max(need, math.ceil(short / m) if m > 0 else len(north))
        take = north[at : at + need]
        out[camp.name] = take
        at += len(take)
    return out


_CAPACITY = ("payload_kg", "deck_m2", "seats")

_STATUS_RANK = {
    "ROUTING_OPTIMAL": 0,
    "ROUTING_SUCCESS": 1,
    "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED": 2,
}


def _route_by_camp(problem: RoutingProblem) -> RoutingResult:
    """
    Route each camp on its own: its vehicles, its cargo, its share from the north.

    Trips load at one camp, so when no vehicle may go north (``northbound``
    false: no second trips, no vehicles from the destination) the sector's routing
    is the sum of its camps' (exact). Otherwise each camp's vehicles serve only
    their camp, and the destination's vehicles are shared out first
    (:func:`_share_north`): a heuristic. Cargo indices, costs and the status
    (the least good of the camps') are the sector's.
    """
    share = _share_north(problem)
    trips: list[VehicleTrip] = []
    dropped: list[int] = []
    objective = 0
    statuses = []
    timed_out = False
    for camp in problem.camps:
        index = [k for k, g in enumerate(problem.cargo) if g.camp == camp.name]
        own = [c for c in problem.carriers if c.camp == camp.name]
        cars = own + share[camp.name]
        if not index:
            # nothing to carry: its vehicles drive their leg empty
            trips += [
                VehicleTrip(
                    c.id,
                    0,
                    c.camp,
                    camp.pickup_end_min,
                    camp.pickup_end_min + camp.leg_min,
                    (),
                )
                for c in own
            ]
            continue
        if not cars:
            if any(problem.cargo[k].mandatory for k in index):
                msg = (
                    f"the fleet routing found no solution: no vehicle can load "
                    f"camp {camp.name!r}'s mandatory cargo"
                )
                raise InfeasibleError(msg)
            dropped += index
            continue
        sub = RoutingProblem(
            (camp,),
            tuple(cars),
            tuple(problem.cargo[k] for k in index),
            problem.horizon_min,
            problem.fixed_usd,
            northbound=problem.northbound,
            first_solution=problem.first_solution,
            metaheuristic=problem.metaheuristic,
            time_limit_s=problem.time_limit_s,
            solution_limit=problem.solution_limit,
        )
        r = _route_one(sub)
        objective += r.objective
        statuses.append(r.status)
        timed_out = timed_out or r.timed_out
        trips += [
            dataclasses.replace(t, cargo=tuple(index[g] for g in t.cargo))
            for t in r.trips
        ]
        dropped += [index[g] for g in r.dropped]
    status = max(
        statuses, key=lambda s: _STATUS_RANK.get(s, 3), default="ROUTING_SUCCESS"
    )
    out = tuple(sorted(dropped))
    arc, fixed, penalty = route_cost(problem, trips, out)
    return RoutingResult(
        status, objective, tuple(trips), out, arc, fixed, penalty, timed_out
    )


def _route_one(problem: RoutingProblem) -> RoutingResult:
    """The routing of :func:`route_fleet` as one model."""
    fs = _enum(
        routing_enums_pb2.FirstSolutionStrategy,
        problem.first_solution,
        "routing_first_solution",
    )
    mh = _enum(
        routing_enums_pb2.LocalSearchMetaheuristic,
        problem.metaheuristic,
        "routing_metaheuristic",
    )
    camps = list(problem.camps)
    index = {c.name: i + 1 for i, c in enumerate(camps)}  # 0: the destination
    carriers = [
        c for c in problem.carriers if c.camp != DESTINATION or problem.northbound
    ]
    if not carriers:
        msg = "no vehicle can carry the sector's cargo"
        raise InfeasibleError(msg)
    horizon = int(problem.horizon_min)
    big = horizon + 1
    # nodes: 0 the destination (every end), 1..C the camps (starts), then a pickup
    # and a delivery per cargo group
    n_cargo = len(problem.cargo)
    loc = [0, *range(1, len(camps) + 1)]
    for g in problem.cargo:
        loc.append(index[g.camp])
    loc += [0] * n_cargo
    pick0 = len(camps) + 1
    drop0 = pick0 + n_cargo
    n_loc = len(camps) + 1
    travel = [[0] * n_loc for _ in range(n_loc)]
    usd = [[0] * n_loc for _ in range(n_loc)]
    for c in camps:
        i = index[c.name]
        travel[i][0], usd[i][0] = c.leg_min, c.leg_usd
        travel[0][i] = c.return_min if problem.northbound else big
        usd[0][i] = c.return_usd
        for d in camps:
            if d.name != c.name:
                travel[i][index[d.name]] = big
    starts = [index[c.camp] if c.camp != DESTINATION else 0 for c in carriers]
    ends = [0] * len(carriers)
    manager = pywrapcp.RoutingIndexManager(len(loc), len(carriers), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    node = manager.IndexToNode

    # node-by-node matrices, handed to the solver whole (no Python callbacks)
    cost = routing.RegisterTransitMatrix([[usd[a][b] for b in loc] for a in loc])
    routing.SetArcCostEvaluatorOfAllVehicles(cost)
    routing.SetFixedCostOfAllVehicles(int(problem.fixed_usd))
    tt = routing.RegisterTransitMatrix([[travel[a][b] for b in loc] for a in loc])
    routing.AddDimension(tt, horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    demand = {
        "payload": ([round(g.weight_kg) for g in problem.cargo], "payload_kg"),
        "deck": ([round(100 * g.deck_m2) for g in problem.cargo], "deck_m2"),
        "seats": ([g.seats for g in problem.cargo], "seats"),
    }
    for name, (amounts, attr) in demand.items():
        node_demand = [0] * len(loc)
        for k, a in enumerate(amounts):
            node_demand[pick0 + k] = a
            node_demand[drop0 + k] = -a
        cb = routing.RegisterUnaryTransitVector(node_demand)
        scale = 100 if name == "deck" else 1
        caps = [round(scale * float(getattr(c, attr))) for c in carriers]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, name)
    solver = routing.solver()
    by_name = {c.name: c for c in camps}
    for i in range(1, len(camps) + 1):
        if i not in starts:  # a camp with no vehicle: its depot is never visited
            routing.AddDisjunction([manager.NodeToIndex(i)], 0)
    for k, g in enumerate(problem.cargo):
        p = manager.NodeToIndex(pick0 + k)
        d = manager.NodeToIndex(drop0 + k)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
        c = by_name[g.camp]
        time.CumulVar(p).SetRange(c.opens_min, c.pickup_end_min)
        if not g.mandatory:
            routing.AddDisjunction([p], round(g.value_usd))
            routing.AddDisjunction([d], 0)
            solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
    for v, car in enumerate(carriers):
        s = routing.Start(v)
        if car.camp != DESTINATION:
            c = by_name[car.camp]
            time.CumulVar(s).SetRange(c.opens_min, c.pickup_end_min)
            # it leaves its camp whatever it carries: its leg counts
            routing.SetVehicleUsedWhenEmpty(True, v)
        else:
            time.CumulVar(s).SetRange(0, horizon)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = fs
    params.local_search_metaheuristic = mh
    params.time_limit.FromMilliseconds(int(1000 * problem.time_limit_s))
    if problem.solution_limit:
        params.solution_limit = problem.solution_limit
    t0 = monotonic()
    solution = routing.SolveWithParameters(params)
    # the time limit stopped the search when the clock reached it (the status
    # alone does not tell it from the solution limit)
    timed_out = monotonic() - t0 >= 0.98 * problem.time_limit_s
    status = _STATUS.get(routing.status(), str(routing.status()))
    if solution is None:
        msg = f"the fleet routing found no solution (status {status})"
        raise InfeasibleError(msg)
    trips: list[VehicleTrip] = []
    served: set[int] = set()
    for v, car in enumerate(carriers):
        i = routing.Start(v)
        k = 0
        current: list[int] = []
        load_at, camp_name = 0, car.camp
        while True:
            n = node(i)
            if pick0 <= n < drop0:
                g = n - pick0
                current.append(g)
                served.add(g)
                load_at, camp_name = (
                    solution.Value(time.CumulVar(i)),
                    problem.cargo[g].camp,
                )
            nxt = solution.Value(routing.NextVar(i))
            ends_trip = routing.IsEnd(nxt) or node(nxt) < drop0
            if current and n >= drop0 and ends_trip:
                k += 1
                trips.append(
                    VehicleTrip(
                        car.id,
                        k,
                        camp_name,
                        load_at,
                        solution.Value(time.CumulVar(i)),
                        tuple(sorted(current)),
                        k > 1 or car.camp == DESTINATION,
                    )
                )
                current = []
            if routing.IsEnd(nxt):
                break
            i = nxt
        if k == 0 and car.camp != DESTINATION:
            c = by_name[car.camp]
            trips.append(
                VehicleTrip(
                    car.id,
                    0,
                    car.camp,
                    c.pickup_end_min,
                    c.pickup_end_min + c.leg_min,
                    (),
                )
            )
    dropped = tuple(g for g in range(n_cargo) if g not in served)
    arc, fixed, penalty = route_cost(problem, trips, dropped)
    return RoutingResult(
        status,
        solution.ObjectiveValue(),
        tuple(trips),
        dropped,
        arc,
        fixed,
        penalty,
        timed_out,
    )
