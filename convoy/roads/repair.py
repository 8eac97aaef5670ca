"""Repairs of a projected line layer: extend dangles, node, join ends, drop duplicates.

Each step takes and returns arrays of shapely lines (in a metric CRS) and appends a
sentence per fix it made to ``repairs``, which ends up in ``RoadNetwork.repairs``.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from convoy.roads.network import FloatArray, IntArray


def _extend_dangles(
    parts: NDArray[np.object_], tol: float
) -> tuple[NDArray[np.object_], int]:
    """
    Extend line ends that stop short of another line (an undershot junction).

    An end is extended when another line passes within ``tol`` of it but no other
    line end does (ends near each other are joined later, as nodes) and it does not
    already touch a line. The end is prolonged straight to the nearest point of
    that line, and that point becomes a vertex of the line too, so that the noder
    splits both there exactly.

    Returns
    -------
    parts
        The lines, extended where needed (a new array; the input is not changed).
    num_extended
        How many ends were extended.
    """
    if tol <= 0 or parts.size < 2:
        return parts, 0
    starts = shapely.get_point(parts, 0)
    ends = shapely.get_point(parts, -1)
    pts = np.concatenate([starts, ends])
    owner = np.concatenate([np.arange(parts.size), np.arange(parts.size)])
    xy = shapely.get_coordinates(pts)
    # ends with another line's end nearby are left to the node joining
    pairs = cKDTree(xy).query_pairs(tol, output_type="ndarray")
    near_end = np.zeros(pts.size, dtype=bool)
    if pairs.size:
        other = owner[pairs[:, 0]] != owner[pairs[:, 1]]
        near_end[pairs[other, 0]] = True
        near_end[pairs[other, 1]] = True
    tree = shapely.STRtree(parts)
    pt_idx, line_idx = tree.query(pts, predicate="dwithin", distance=tol)
    keep = (owner[pt_idx] != line_idx) & ~near_end[pt_idx]
    pt_idx, line_idx = pt_idx[keep], line_idx[keep]
    if pt_idx.size == 0:
        return parts, 0
    dist = shapely.distance(pts[pt_idx], parts[line_idx])
    touching = np.zeros(pts.size, dtype=bool)
    touching[pt_idx[dist == 0]] = True
    best: dict[int, tuple[float, int]] = {}
    for p, ln, d in zip(pt_idx.tolist(), line_idx.tolist(), dist.tolist(), strict=True):
        if not touching[p] and (p not in best or d < best[p][0]):
            best[p] = (d, ln)
    if not best:
        return parts, 0
    out = parts.copy()
    for p in sorted(best):
        _, ln = best[p]
        target = shapely.get_coordinates(shapely.shortest_line(pts[p], out[ln]))[-1]
        out[ln] = _insert_vertex(out[ln], target)
        i = int(owner[p])
        coords = shapely.get_coordinates(out[i])
        if p < parts.size:
            coords = np.vstack([target, coords])
        else:
            coords = np.vstack([coords, target])
        out[i] = shapely.linestrings(coords)
    return out, len(best)


def _insert_vertex(line: shapely.LineString, xy: FloatArray) -> shapely.LineString:
    """The line with ``xy`` (a point on or next to it) added as a vertex in place."""
    coords = shapely.get_coordinates(line)
    seg = np.diff(coords, axis=0)
    rel = xy - coords[:-1]
    seg_len2 = np.einsum("ij,ij->i", seg, seg)
    t = np.clip(
        np.einsum("ij,ij->i", rel, seg) / np.where(seg_len2 > 0, seg_len2, 1), 0.0, 1.0
    )
    foot = coords[:-1] + seg * t[:, None]
    k = int(np.argmin(np.einsum("ij,ij->i", foot - xy, foot - xy)))
    if np.any(np.all(coords == xy, axis=1)):
        return line
    return shapely.linestrings(np.vstack([coords[: k + 1], xy, coords[k + 1 :]]))


def _cluster_points(pts: FloatArray, cluster: IntArray) -> tuple[FloatArray, IntArray]:
    """
    One node per cluster of line ends, numbered by first appearance.

    The node sits on the cluster's most repeated point (a junction where several
    lines meet stays put when a stray end is joined to it), else on the first one.
    """
    _, first_idx, inverse = np.unique(cluster, return_index=True, return_inverse=True)
    order = np.argsort(first_idx, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    node_of_pt = rank[inverse].astype(np.int64)
    node_xy = pts[first_idx[order]].copy()
    # runs of equal points inside each node, in (node, x, y) order: a node with
    # several distinct points and one repeated moves to its longest run, the
    # first in (x, y) order among equals (one sort, not one scan per node)
    srt = np.lexsort((pts[:, 1], pts[:, 0], node_of_pt))
    k_s, p_s = node_of_pt[srt], pts[srt]
    new_run = np.ones(srt.shape[0], dtype=bool)
    new_run[1:] = (k_s[1:] != k_s[:-1]) | np.any(p_s[1:] != p_s[:-1], axis=1)
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.append(run_start, srt.shape[0]))
    run_node = k_s[run_start]
    num_runs = np.bincount(run_node, minlength=node_xy.shape[0])
    longest = np.zeros(node_xy.shape[0], dtype=np.int64)
    np.maximum.at(longest, run_node, run_len)
    top = np.flatnonzero(run_len == longest[run_node])
    top = top[np.unique(run_node[top], return_index=True)[1]]
    nodes = run_node[top]
    moved = (num_runs[nodes] > 1) & (longest[nodes] > 1)
    node_xy[nodes[moved]] = p_s[run_start[top[moved]]]
    return node_xy, node_of_pt


def set_ends(
    lines: NDArray[np.object_], start: FloatArray, end: FloatArray
) -> NDArray[np.object_]:
    """The lines with their first and last vertices moved onto the given points."""
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(idx, minlength=lines.shape[0])
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    coords[first] = start
    coords[last] = end
    out: NDArray[np.object_] = np.asarray(
        shapely.linestrings(coords, indices=idx), dtype=object
    )
    return out


def _duplicates(
    u: IntArray,
    v: IntArray,
    length: FloatArray,
    geom: NDArray[np.object_],
    keep: NDArray[np.bool_],
    tol: float,
) -> NDArray[np.bool_]:
    """Pieces that repeat an earlier one between the same nodes (within ``tol``)."""
    dup = np.zeros(u.shape[0], dtype=bool)
    a, b = np.minimum(u, v), np.maximum(u, v)
    cand = np.flatnonzero(keep)
    order = cand[np.lexsort((cand, b[cand], a[cand]))]
    for i in range(1, order.shape[0]):
        j = order[i]
        k = i - 1
        while k >= 0 and a[order[k]] == a[j] and b[order[k]] == b[j]:
            p = order[k]
            if (
                not dup[p]
                and abs(length[p] - length[j]) <= tol
                and shapely.hausdorff_distance(geom[p], geom[j]) <= tol
            ):
                dup[j] = True
                break
            k -= 1
    return dup


def extend_dangles(
    parts: NDArray[np.object_], snap_tolerance_m: float, repairs: list[str]
) -> NDArray[np.object_]:
    """Lines with their undershot ends extended to the road they stop short of."""
    parts, num_extended = _extend_dangles(parts, max(snap_tolerance_m, 0.0))
    if num_extended:
        repairs.append(
            f"extended {num_extended} line ends that stopped short of another road "
            f"(by less than {snap_tolerance_m:g} m) to meet it"
        )
    return parts


def node_lines(
    parts: NDArray[np.object_], part_feature: IntArray, repairs: list[str]
) -> tuple[NDArray[np.object_], IntArray]:
    """
    Split lines where they cross or touch; overlapping stretches become one piece.

    Returns
    -------
    pieces
        The noded pieces.
    piece_feature
        The feature each piece came from.
    """
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    noded = np.asarray(noded, dtype=object)
    if noded.size != parts.size:
        repairs.append(
            f"split {parts.size} lines into {noded.size} pieces where they "
            "cross or touch"
        )
    tree = shapely.STRtree(parts)
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    src_of = tree.query_nearest(mids, all_matches=False)[1]
    covers = tree.query(mids, predicate="dwithin", distance=1e-6)
    multiplicity = np.bincount(covers[0], minlength=noded.size)
    if (multiplicity > 1).any():
        repairs.append(
            f"merged {int((multiplicity > 1).sum())} pieces where lines overlap "
            "or repeat"
        )
    return noded, part_feature[src_of]


def join_ends(
    noded: NDArray[np.object_], snap_tolerance_m: float, repairs: list[str]
) -> tuple[FloatArray, IntArray, IntArray, NDArray[np.object_]]:
    """
    Join piece ends closer than the snap tolerance into one node.

    Returns
    -------
    node_xy
        (N, 2) node coordinates.
    u, v
        The start and end node of each piece.
    geom
        The pieces with their ends moved onto their nodes.
    """
    starts = shapely.get_coordinates(shapely.get_point(noded, 0))
    ends = shapely.get_coordinates(shapely.get_point(noded, -1))
    pts = np.concatenate([starts, ends])
    tol = max(snap_tolerance_m, 1e-6)
    pairs = cKDTree(pts).query_pairs(tol, output_type="ndarray")
    n_pts = pts.shape[0]
    adj = sparse.coo_matrix(
        (np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(n_pts, n_pts)
    )
    _, cluster = csgraph.connected_components(adj, directed=False)
    node_xy, node_of_pt = _cluster_points(pts, cluster)
    num_distinct = np.unique(pts, axis=0).shape[0]
    if node_xy.shape[0] < num_distinct:
        repairs.append(
            f"joined {num_distinct} line ends into {node_xy.shape[0]} nodes "
            f"(ends closer than {snap_tolerance_m:g} m)"
        )
    u = node_of_pt[: noded.size]
    v = node_of_pt[noded.size :]
    return node_xy, u, v, set_ends(noded, node_xy[u], node_xy[v])


def drop_bad_pieces(
    u: IntArray,
    v: IntArray,
    geom: NDArray[np.object_],
    snap_tolerance_m: float,
    repairs: list[str],
) -> NDArray[np.int64]:
    """The pieces kept: not zero-length, not a loop, not a duplicate of another."""
    tol = max(snap_tolerance_m, 1e-6)
    length = shapely.length(geom)
    zero = (u == v) & (length <= tol * 2)
    loop = (u == v) & ~zero
    if zero.any():
        repairs.append(
            f"dropped {int(zero.sum())} zero-length pieces (shorter than the "
            "snap tolerance)"
        )
    if loop.any():
        repairs.append(f"dropped {int(loop.sum())} loops that return to their own node")
    keep_e = ~(zero | loop)
    dup = _duplicates(u, v, length, geom, keep_e, tol)
    if dup.any():
        repairs.append(
            f"dropped {int(dup.sum())} duplicate pieces joining the same nodes"
        )
    keep_e &= ~dup
    return np.flatnonzero(keep_e)


def drop_unused_nodes(
    node_xy: FloatArray, u: IntArray, v: IntArray
) -> tuple[FloatArray, IntArray, IntArray]:
    """Nodes only on dropped pieces removed, and the ends renumbered."""
    used = np.zeros(node_xy.shape[0], dtype=bool)
    used[u] = True
    used[v] = True
    remap = np.cumsum(used) - 1
    return node_xy[used], remap[u], remap[v]
