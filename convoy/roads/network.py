"""The road network: a line layer turned into a routable, undirected graph.

:func:`convoy.io.roads.read_roads` reads any line layer GDAL can read (GeoJSON,
GeoPackage, Shapefile, an OpenStreetMap extract exported to one of these) and
:func:`convoy.roads.build.build_road_network` checks its coordinates, projects it to
metres, nodes the lines where they cross or touch, joins
endpoints closer than ``snap_tolerance_m``, drops duplicate and zero-length pieces and
snaps the scenario's sites onto it. Every fix is listed in ``RoadNetwork.repairs``.

The result, :class:`RoadNetwork`, holds arrays only (no Python object per node or
edge): node coordinates, edge endpoints, lengths, surfaces, speed caps, and a CSR
adjacency in which each undirected edge appears in both directions. Shortest paths
use :mod:`scipy.sparse.csgraph`.

Messages number a layer's features from 1, in file order, as the events reader
does.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pyproj
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

from convoy.errors import NoRouteError
from convoy.params import SURFACES

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """
    A routable, undirected road network in a projected CRS (metres).

    Parameters
    ----------
    crs
        The projected CRS of every coordinate and geometry below (axis unit metre).
    node_xy
        (N, 2) node coordinates, metres.
    edge_u, edge_v
        (E,) end nodes of each edge; the geometry runs from ``edge_u`` to ``edge_v``.
    edge_length_m
        (E,) length along the geometry, metres (> 0).
    edge_surface
        (E,) index into :data:`convoy.params.SURFACES`.
    edge_maxspeed_kph
        (E,) speed cap in km/h; ``inf`` where the layer gives none.
    edge_name
        Road name or reference per edge; ``''`` if none.
    edge_geometry
        (E,) object array of shapely LineStrings in ``crs``, oriented u to v.
    indptr, indices, adj_edge
        CSR adjacency: the neighbours of node ``i`` are
        ``indices[indptr[i]:indptr[i + 1]]`` reached by edges
        ``adj_edge[indptr[i]:indptr[i + 1]]``; each edge appears in both directions.
    site_node
        Node index of every site snapped to the network, by site name.
    site_snap_m
        Distance from each site to its node, metres.
    repairs
        Every fix the builder made, in plain words.
    """

    crs: pyproj.CRS
    node_xy: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length_m: FloatArray
    edge_surface: IntArray
    edge_maxspeed_kph: FloatArray
    edge_name: tuple[str, ...]
    edge_geometry: NDArray[np.object_]
    indptr: IntArray
    indices: IntArray
    adj_edge: IntArray
    site_node: dict[str, int]
    site_snap_m: dict[str, float]
    repairs: tuple[str, ...]

    def __repr__(self) -> str:
        return (
            f"RoadNetwork({self.num_nodes} nodes, {self.num_edges} edges, "
            f"{self.edge_length_m.sum() / 1000:.1f} km, {self.crs.to_string()})"
        )

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def num_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.edge_u.shape[0])

    @cached_property
    def _graph(self) -> sparse.csr_matrix:
        """Symmetric length matrix; of parallel edges only the shortest is kept."""
        n = self.num_nodes
        src = np.concatenate([self.edge_u, self.edge_v])
        dst = np.concatenate([self.edge_v, self.edge_u])
        w = np.concatenate([self.edge_length_m, self.edge_length_m])
        order = np.lexsort((w, dst, src))
        src, dst, w = src[order], dst[order], w[order]
        keep = np.ones(src.shape[0], dtype=bool)
        keep[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        return sparse.csr_matrix((w[keep], (src[keep], dst[keep])), shape=(n, n))

    def shortest_path(
        self, src_node: int, dst_node: int
    ) -> tuple[IntArray, IntArray, float]:
        """
        Shortest path by length between two nodes.

        Parameters
        ----------
        src_node, dst_node
            Node indices in ``[0, num_nodes)``.

        Returns
        -------
        node_idx
            (K + 1,) nodes from ``src_node`` to ``dst_node``.
        edge_idx
            (K,) edges taken, in order; ``edge_idx[i]`` joins ``node_idx[i]`` and
            ``node_idx[i + 1]`` (whichever way the edge's geometry runs).
        length_m
            Path length in metres.

        Raises
        ------
        NoRouteError
            If the two nodes are in different components.

        Examples
        --------
        >>> src, dst = net.site_node["Kidal"], net.site_node["Gao"]  # doctest: +SKIP
        >>> nodes, edges, length_m = net.shortest_path(src, dst)  # doctest: +SKIP
        """
        for name, node in (("src_node", src_node), ("dst_node", dst_node)):
            if not 0 <= int(node) < self.num_nodes:
                msg = (
                    f"{name} must be a node index in [0, {self.num_nodes}), got {node}"
                )
                raise ValueError(msg)
        src, dst = int(src_node), int(dst_node)
        if src == dst:
            return np.array([src], dtype=np.int64), np.empty(0, dtype=np.int64), 0.0
        dist, pred = csgraph.dijkstra(
            self._graph, directed=True, indices=src, return_predecessors=True
        )
        if not math.isfinite(dist[dst]):
            msg = (
                f"no road joins node {src} and node {dst}: they are in different "
                f"components of the network"
            )
            raise NoRouteError(msg)
        nodes = [dst]
        while nodes[-1] != src:
            nodes.append(int(pred[nodes[-1]]))
        node_idx = np.array(nodes[::-1], dtype=np.int64)
        edge_idx = np.array(
            [
                self.edge_between(int(a), int(b))
                for a, b in itertools.pairwise(node_idx)
            ],
            dtype=np.int64,
        )
        return node_idx, edge_idx, float(dist[dst])

    def shortest_lengths_from(self, src_node: int) -> FloatArray:
        """Shortest path length in metres from one node to every node (inf if none)."""
        out: FloatArray = csgraph.dijkstra(
            self._graph, directed=True, indices=int(src_node)
        )
        return out

    def edge_between(self, a: int, b: int) -> int:
        """
        The shortest edge joining nodes ``a`` and ``b``.

        Raises
        ------
        KeyError
            If no edge joins them.
        """
        lo, hi = self.indptr[a], self.indptr[a + 1]
        hits = self.adj_edge[lo:hi][self.indices[lo:hi] == b]
        if hits.size == 0:
            msg = f"no edge joins node {a} and node {b}"
            raise KeyError(msg)
        return int(hits[np.argmin(self.edge_length_m[hits])])

    def components(self) -> IntArray:
        """
        Connected component of every node.

        Returns
        -------
        labels
            (N,) component index per node; component 0 is the largest (by node
            count), ties broken by lowest first node, so labels are deterministic.
        """
        _, raw = csgraph.connected_components(self._graph, directed=False)
        counts = np.bincount(raw)
        first = np.full(counts.shape[0], self.num_nodes, dtype=np.int64)
        np.minimum.at(first, raw, np.arange(self.num_nodes, dtype=np.int64))
        order = np.lexsort((first, -counts))
        relabel = np.empty_like(order)
        relabel[order] = np.arange(order.shape[0])
        out: IntArray = relabel[raw].astype(np.int64)
        return out

    def node_lonlat(self) -> FloatArray:
        """(N, 2) node coordinates as WGS 84 longitude, latitude in degrees."""
        tr = pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        lon, lat = tr.transform(self.node_xy[:, 0], self.node_xy[:, 1])
        return np.column_stack([lon, lat]).astype(np.float64)

    def surface_km(self) -> dict[str, float]:
        """Kilometres of road per surface (every surface of ``SURFACES`` is a key)."""
        km = (
            np.bincount(
                self.edge_surface, weights=self.edge_length_m, minlength=len(SURFACES)
            )
            / 1000.0
        )
        return {s: float(km[i]) for i, s in enumerate(SURFACES)}

    def site_path(
        self, src_site: str, dst_site: str
    ) -> tuple[IntArray, IntArray, float]:
        """
        Shortest path between two snapped sites, as :meth:`shortest_path`.

        Raises
        ------
        KeyError
            If a site was not snapped to this network.
        NoRouteError
            If no road joins them; the message names both sites.
        """
        try:
            return self.shortest_path(
                self.site_node[src_site], self.site_node[dst_site]
            )
        except NoRouteError:
            msg = f"no road joins {src_site!r} and {dst_site!r}"
            raise NoRouteError(msg) from None

    def edge_frame(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame (u, v, length_m, surface, maxspeed_kph, name)."""
        return gpd.GeoDataFrame(
            {
                "u": self.edge_u,
                "v": self.edge_v,
                "length_m": self.edge_length_m,
                "surface": [SURFACES[i] for i in self.edge_surface],
                "maxspeed_kph": self.edge_maxspeed_kph,
                "name": list(self.edge_name),
            },
            geometry=list(self.edge_geometry),
            crs=self.crs,
        )
