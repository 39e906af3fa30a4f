"""The package graph, read from the source (ast, nothing executed): no import cycles between modules, and no
capability importing another capability except through the shared layers.

Every import counts, also those inside functions (kept there so ``--help`` is fast): a lazy import still makes one
module depend on the other, and a cycle through it is still a cycle. Imports under ``if TYPE_CHECKING:`` never run,
but a loop through them still ties two modules together (neither can be read or moved alone), so they are checked too,
with one allowance: a package's ``__init__`` may name its own submodules' types (``Session`` typing its groups, which
import ``Group`` from the package), as Python packages do.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pinchpoint"

# The layers, as data: each top-level module or package of pinchpoint, its role, and why.
#   shared      - may import only other shared layers (what every capability builds on)
#   capability  - may import shared layers and itself, never another capability (so each can change alone)
#   interface   - may import anything (the shells and the one place that wires capabilities together)
LAYERS: dict[str, tuple[str, str]] = {
    "__init__": ("shared", "the package root: version and lazy names only"),
    "__main__": ("interface", "python -m pinchpoint runs the CLI"),
    "errors": ("shared", "the error kinds and Problem every layer raises and reports"),
    "results": ("shared", "ResultTable, the one result shape every capability returns"),
    "progress": ("shared", "the progress-callback shape long jobs report through"),
    "yamlio": ("shared", "YAML read with caps and line numbers, for every YAML reader"),
    "kernel": ("shared", "the one country vocabulary and named groups"),
    "workspace": ("shared", "the DuckDB store and its collections, where every capability keeps its data"),
    "supplychain": ("shared", "the supply-chain model the analyses, stress tests and reports read"),
    "analysis": ("shared", "analyses over the supply-chain model that stress tests and trade reuse"),
    "reports": ("shared", "HTML reports, charts and maps any capability draws with"),
    "sources": ("shared", "the format registry: capabilities register their readers in it by name (module:attribute "
                          "strings it imports only when asked), so it imports none of them"),
    "accounts": ("shared", "users, organisations, sharing and the audit trail: the access rules every interface obeys"),
    "trade": ("capability", "trade flows"),
    "screening": ("capability", "restricted-party screening"),
    "controls": ("capability", "export-control lists"),
    "stress": ("capability", "stress tests"),
    "trends": ("capability", "indicator trends"),
    "plan": ("capability", "planning"),
    "planning": ("capability", "planning"),
    "session": ("interface", "one object per user holding what the capabilities build, one method per use case"),
    "cli": ("interface", "the command line: parse, call, present"),
    "api": ("interface", "the HTTP API: parse, call, present"),
    "web": ("interface", "the web workbench"),
}

# Real exceptions to the layer rules, each with its reason: (importing package, imported package) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("planning", "stress"): "a plan is scored against the stress tests it mitigates: it builds on stress's scenarios "
                            "and compiled network, the one model of what a shock removes",
    ("trends", "trade"): "monthly series derived from the trade store are trade queries (sources kept apart, groups "
                         "built from members, codes at one level per branch, NoRowsError): trends reuses them rather "
                         "than keep a second copy of those rules",
}


def modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path], *, type_only: bool = False) -> Iterator[str]:
    """The pinchpoint modules ``name`` imports anywhere in its file (``from x import y`` counts as ``x.y`` when y is
    a module); with ``type_only``, also those under ``if TYPE_CHECKING:`` except a package's own submodules."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        typing = id(node) in typing_only
        if typing and not type_only:  # `if TYPE_CHECKING:` imports annotations only, never at run time
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        for target in targets:
            if typing and path.name == "__init__.py" and target.startswith(name + "."):
                continue
            if target in known and target != name:
                yield target


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def graph(*, type_only: bool = False) -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports_of(name, path, known, type_only=type_only)) for name, path in known.items()}


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules() -> None:
    edges = graph()
    assert len(edges) > 50  # the whole package was read
    assert cycles(edges) == []


def test_no_import_cycles_through_type_only_imports() -> None:
    # pages typing WebState from the app that imports the pages was such a loop (WebState moved to web.state)
    edges = graph(type_only=True)
    assert "pinchpoint.web.state" in edges["pinchpoint.web.pages"]  # typing imports were read
    assert cycles(edges) == []


def test_every_top_level_package_has_a_layer() -> None:
    unplaced = sorted({top(m) for m in modules()} - set(LAYERS))
    assert unplaced == [], f"add {unplaced} to LAYERS with its role and why"


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    """Imports the layers forbid: a shared layer or a capability importing a capability other than its own (or an
    interface)."""
    wrong = []
    for module, targets in sorted(edges.items()):
        role = LAYERS.get(top(module), ("interface", ""))[0]
        for target in sorted(targets):
            target_role = LAYERS.get(top(target), ("interface", ""))[0]
            if role == "interface" or top(module) == top(target) or (top(module), top(target)) in EXCEPTIONS:
                continue
            if target_role in ("capability", "interface"):
                wrong.append(f"{module} ({role}) imports {target} ({target_role})")
    return wrong


def test_capabilities_import_no_other_capability_and_shared_layers_no_capability() -> None:
    assert layer_violations(graph()) == []


def test_the_layer_rule_catches_a_sideways_import() -> None:
    # screening borrowing trade's country module, as it once did; analysis reaching into stress; the CLI may
    edges = {"pinchpoint.screening.loaders": {"pinchpoint.trade.countries"},
             "pinchpoint.analysis.exposure": {"pinchpoint.stress.engines"},
             "pinchpoint.cli.trade": {"pinchpoint.trade.metrics", "pinchpoint.stress.engines"},
             "pinchpoint.trade.metrics": {"pinchpoint.kernel.countries", "pinchpoint.trade.query"}}
    assert layer_violations(edges) == [
        "pinchpoint.analysis.exposure (shared) imports pinchpoint.stress.engines (capability)",
        "pinchpoint.screening.loaders (capability) imports pinchpoint.trade.countries (capability)"]
