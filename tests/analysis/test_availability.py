"""The vectorised availability engine against its definition, and its bounds (property tests)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinchpoint.analysis.availability import AvailabilityGraph, CycleInGraph
from tests.analysis.reference import reference_availability, reference_graph


@st.composite
def dags(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, bool, bool, float]], list[float]]:
    n = draw(st.integers(1, 25))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))
    edges = {}
    for a, b in pairs:
        if a != b:
            u, v = min(a, b), max(a, b)  # edges go from lower to higher index: acyclic
            edges[(u, v)] = (draw(st.booleans()), draw(st.booleans()), draw(st.floats(0.1, 10)))
    own = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    return n, [(u, v, *attrs) for (u, v), attrs in edges.items()], own


def build(n: int, edges: list[tuple[int, int, bool, bool, float]]) -> AvailabilityGraph:
    arr = list(zip(*edges, strict=True)) if edges else [[], [], [], [], []]
    return AvailabilityGraph.build(n, np.array(arr[0], dtype=np.int64), np.array(arr[1], dtype=np.int64),
                                   np.array(arr[2], dtype=bool), np.array(arr[3], dtype=bool),
                                   np.array(arr[4], dtype=np.float64))


@settings(max_examples=150, deadline=None)
@given(dags())
def test_matches_the_node_by_node_definition(case: tuple[int, list, list[float]]) -> None:  # type: ignore[type-arg]
    n, edges, own = case
    got = build(n, edges).propagate(np.array(own))
    want = reference_availability(reference_graph(n, edges), own)
    np.testing.assert_allclose(got, want, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(dags(), st.randoms(use_true_random=False))
def test_bounded_monotone_and_invariant_to_node_order(case: tuple[int, list, list[float]],  # type: ignore[type-arg]
                                                      rnd) -> None:  # type: ignore[no-untyped-def]
    n, edges, own = case
    graph = build(n, edges)
    avail = graph.propagate(np.array(own))
    assert np.all(avail >= 0) and np.all(avail <= 1)
    # only type children (which replace an input's own supply) can lift it above its own supply
    plain = [v for v in range(n) if not any(e[1] == v and e[2] for e in edges)]
    assert np.all(avail[plain] <= np.array(own)[plain] + 1e-12)
    # more own supply anywhere never lowers availability anywhere
    more = np.minimum(np.array(own) + 0.25, 1.0)
    assert np.all(graph.propagate(more) >= avail - 1e-12)
    # relabelling the nodes and shuffling the edges changes nothing but the labels
    perm = list(range(n))
    rnd.shuffle(perm)
    shuffled = [(perm[u], perm[v], t, s, w) for u, v, t, s, w in edges]
    rnd.shuffle(shuffled)
    own_perm = np.empty(n)
    own_perm[perm] = own
    np.testing.assert_allclose(build(n, shuffled).propagate(own_perm)[perm], avail, atol=1e-12)


def test_columns_are_independent_scenarios() -> None:
    # chip <- (wafer, resist); resist <- types (resist_a | resist_b substitutes)
    graph = build(5, [(0, 4, False, False, 1.0), (1, 4, False, False, 1.0), (2, 1, True, True, 3.0),
                      (3, 1, True, True, 1.0)])
    own = np.array([[1.0, 0.5], [0.0, 1.0], [0.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    avail = graph.propagate(own)
    # column 0: resist_a lost -> resist = (0*3 + 1*1)/4 = 0.25 (its own 0 is replaced by its types) -> chip 0.25
    assert avail[1, 0] == pytest.approx(0.25) and avail[4, 0] == pytest.approx(0.25)
    # column 1: wafer at half -> the scarcest complement binds
    assert avail[4, 1] == pytest.approx(0.5)


def test_cycle_is_refused() -> None:
    with pytest.raises(CycleInGraph):
        build(3, [(0, 1, False, False, 1.0), (1, 2, False, False, 1.0), (2, 0, False, False, 1.0)])
