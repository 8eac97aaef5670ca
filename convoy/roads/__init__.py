"""The road network: the routable graph (network.py), built from lines (build.py).

Reading a road layer from a file is :func:`convoy.io.roads.read_roads`.
"""

from convoy.roads.build import build_road_network, road_network_from_layer
from convoy.roads.network import RoadNetwork

__all__ = ["RoadNetwork", "build_road_network", "road_network_from_layer"]
