"""Several camps into one destination: fleet routing and the convoys it implies.

:mod:`convoy.sector.groups` aggregates the lots and personnel of each camp into the
pickups of the routing; :mod:`convoy.sector.routing` routes the fleet with OR-Tools'
RoutingModel (pickup and delivery, several trips per vehicle, capacities in payload,
deck area and seats, time windows from the camps' closing times, optional lots as
disjunctions priced at their value); :mod:`convoy.sector.convoys` forms the convoys
from the routes. Plain records in, plain records out: no Scenario here.
"""

from convoy.sector.convoys import ConvoyTrip, form_convoys
from convoy.sector.groups import Cargo, group_cargo
from convoy.sector.routing import (
    Carrier,
    RoutingProblem,
    RoutingResult,
    SectorCamp,
    VehicleTrip,
    route_fleet,
)

__all__ = [
    "Cargo",
    "Carrier",
    "ConvoyTrip",
    "RoutingProblem",
    "RoutingResult",
    "SectorCamp",
    "VehicleTrip",
    "form_convoys",
    "group_cargo",
    "route_fleet",
]
