"""A straightforward networkx implementation of the availability rules, to check the vectorised engine.

It follows the definition in ``pinchpoint.analysis.availability`` node by node in topological order;
the benchmarks time it against :class:`AvailabilityGraph` on large graphs.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx


def reference_graph(n_nodes: int, edges: Sequence[tuple[int, int, bool, bool, float]]) -> nx.DiGraph:
    """Edges are ``(source, target, is_type, substitute, weight)``."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n_nodes))
    for u, v, is_type, substitute, weight in edges:
        graph.add_edge(u, v, is_type=is_type, substitute=substitute, weight=weight)
    return graph


def reference_availability(graph: nx.DiGraph, own: Sequence[float]) -> list[float]:
    avail = list(own)
    for v in nx.topological_sort(graph):
        parts: dict[bool, list[float]] = {True: [], False: []}
        for is_type in (True, False):
            edges = [(u, d) for u, _, d in graph.in_edges(v, data=True) if d["is_type"] is is_type]
            complements = [avail[u] for u, d in edges if not d["substitute"]]
            substitutes = [(avail[u], d["weight"]) for u, d in edges if d["substitute"]]
            if complements:
                parts[is_type].append(min(complements))
            if substitutes:
                parts[is_type].append(sum(a * w for a, w in substitutes) / sum(w for _, w in substitutes))
        type_part = min(parts[True]) if parts[True] else own[v]
        goes_part = min(parts[False]) if parts[False] else 1.0
        avail[v] = min(type_part, goes_part)
    return avail
