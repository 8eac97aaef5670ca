"""The road network: the routable graph (network.py) and how it is built from a line layer (build.py)."""

from convoy.roads.build import road_network_from_layer
from convoy.roads.network import RoadNetwork

__all__ = ["RoadNetwork", "road_network_from_layer"]
