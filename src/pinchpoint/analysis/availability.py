"""Availability propagation over a relation graph, vectorised with NumPy.

This is the engine behind the exposure analysis (and the static stress-test engine): given the
availability of each input's own supply (a fraction of normal, one column per scenario), it
computes the availability of every input after its upstream inputs are taken into account.

Rules, for an input ``v`` with incoming relations ``u -> v``:

* ``is_type_of`` children describe ``v`` more specifically than ``v``'s own shares, so when ``v``
  has type children its own supply is replaced by the combination of its types;
* ``goes_into`` children are inputs ``v`` needs;
* within each relation kind, complements combine by the minimum (the scarcest input binds) and
  substitutes by their capacity-weighted mean (capacities add); a mix takes the minimum of both;
* ``A(v) = min(type part or own(v), goes_into part)``.

Cost is one pass over the relations per column: O(relations x columns), grouped by topological
level so each level is a handful of ``reduceat`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# Relation groups: (is_type_of?, substitute?)
_GROUPS = ((True, False), (True, True), (False, False), (False, True))


@dataclass(frozen=True)
class _Block:
    """Relations of one group whose targets sit on one topological level, sorted by target."""

    targets: IntArray  # unique target nodes, in order
    starts: IntArray  # offsets into children for reduceat
    children: IntArray
    weights: FloatArray  # substitute weights (ones for complements)
    weight_sums: FloatArray


class CycleInGraph(ValueError):
    pass


@dataclass(frozen=True)
class AvailabilityGraph:
    """A relation graph compiled for repeated availability propagation."""

    n_nodes: int
    levels: tuple[IntArray, ...]  # node indices per topological level (level 0 = no children)
    blocks: tuple[tuple[_Block | None, ...], ...]  # per level >= 1, per group
    position: IntArray  # each node's index within its own level
    sources: IntArray
    targets: IntArray

    @classmethod
    def build(cls, n_nodes: int, sources: IntArray, targets: IntArray, is_type: NDArray[np.bool_],
              substitute: NDArray[np.bool_], weights: FloatArray | None = None) -> AvailabilityGraph:
        """Compile edges ``sources[k] -> targets[k]`` (source feeds or is a type of target)."""
        src = np.asarray(sources, dtype=np.int64)
        dst = np.asarray(targets, dtype=np.int64)
        is_type = np.asarray(is_type, dtype=bool)
        substitute = np.asarray(substitute, dtype=bool)
        w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
        level = _levels(n_nodes, src, dst)
        order = np.argsort(level, kind="stable")
        counts = np.bincount(level, minlength=int(level.max()) + 1 if n_nodes else 1)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        levels = tuple(order[bounds[i]:bounds[i + 1]] for i in range(len(counts)))

        edge_level = level[dst] if len(dst) else np.zeros(0, dtype=np.int64)
        group = np.where(is_type, np.where(substitute, 1, 0), np.where(substitute, 3, 2)).astype(np.int64)
        # Sort edges by (level, group, target) once; slice per (level, group).
        key = np.lexsort((dst, group, edge_level))
        src_s, dst_s, lvl_s, grp_s, w_s = src[key], dst[key], edge_level[key], group[key], w[key]
        blocks: list[tuple[_Block | None, ...]] = []
        for lv in range(1, len(levels)):
            per_group: list[_Block | None] = []
            lo_l, hi_l = np.searchsorted(lvl_s, [lv, lv + 1])
            for g in range(4):
                lo = lo_l + np.searchsorted(grp_s[lo_l:hi_l], g)
                hi = lo_l + np.searchsorted(grp_s[lo_l:hi_l], g + 1)
                if hi == lo:
                    per_group.append(None)
                    continue
                d = dst_s[lo:hi]
                change = np.flatnonzero(np.diff(d)) + 1
                starts = np.concatenate([[0], change]).astype(np.int64)
                ww = w_s[lo:hi]
                per_group.append(_Block(d[starts], starts, src_s[lo:hi], ww, np.add.reduceat(ww, starts)))
            blocks.append(tuple(per_group))
        position = np.empty(n_nodes, dtype=np.int64)
        for nodes in levels:
            position[nodes] = np.arange(len(nodes))
        return cls(n_nodes, levels, tuple(blocks), position, src, dst)

    def propagate(self, own: FloatArray) -> FloatArray:
        """Availability of every node, one column per scenario; ``own`` has shape (nodes, columns)."""
        own = np.asarray(own)
        if own.dtype not in (np.float32, np.float64):  # float32 halves the memory traffic of Monte Carlo runs
            own = own.astype(np.float64)
        if own.ndim == 1:
            return self.propagate(own[:, None])[:, 0]
        avail = own.copy()
        for lv, per_group in enumerate(self.blocks, start=1):
            nodes = self.levels[lv]
            # One working array per level: groups come type-of first (they replace own supply), then goes-into
            # (which can only lower it), so min(type part or own, goes part) builds up in place.
            part = avail[nodes]
            type_seen = np.zeros(len(nodes), dtype=bool)
            for g, block in enumerate(per_group):
                if block is None:
                    continue
                vals = avail[block.children]
                if _GROUPS[g][1]:  # substitutes: capacity-weighted mean
                    red = np.add.reduceat(vals * block.weights[:, None].astype(own.dtype), block.starts, axis=0)
                    red /= block.weight_sums[:, None].astype(own.dtype)
                else:
                    red = np.minimum.reduceat(vals, block.starts, axis=0)
                idx = self.position[block.targets]
                if _GROUPS[g][0]:  # type children replace own supply
                    first = ~type_seen[idx]
                    part[idx[first]] = red[first]
                    both = ~first
                    part[idx[both]] = np.minimum(part[idx[both]], red[both])
                    type_seen[idx] = True
                else:
                    part[idx] = np.minimum(part[idx], red)
            avail[nodes] = part
        return avail


def _levels(n: int, src: IntArray, dst: IntArray) -> IntArray:
    """Longest-path level of each node from the nodes without children (vectorised Kahn)."""
    level = np.zeros(n, dtype=np.int64)
    if len(src) == 0:
        return level
    indeg = np.bincount(dst, minlength=n)
    order = np.argsort(src, kind="stable")
    src_sorted, dst_sorted = src[order], dst[order]
    indptr = np.searchsorted(src_sorted, np.arange(n + 1))
    frontier = np.flatnonzero(indeg == 0)
    done = len(frontier)
    current = 0
    while len(frontier):
        starts, ends = indptr[frontier], indptr[frontier + 1]
        lengths = ends - starts
        if lengths.sum() == 0:
            break
        offsets = starts - np.cumsum(np.concatenate([[0], lengths[:-1]]))
        edge_idx = np.repeat(offsets, lengths) + np.arange(lengths.sum())
        targets = dst_sorted[edge_idx]
        current += 1
        level[targets] = current
        dec = np.bincount(targets, minlength=n)
        indeg -= dec
        touched = np.unique(targets)
        frontier = touched[indeg[touched] == 0]
        done += len(frontier)
    if done < n:
        raise CycleInGraph(f"the relation graph has a cycle ({n - done} nodes never become ready)")
    return level
