"""The CLI and the API hold no caches, defaults or dispatch (issue #14): read from the source with ast, nothing
executed. What they may keep at module level is their own wording (hints naming a command, option names), the
list of routers and FastAPI parameter declarations; everything a library user would also need lives in the
Session or below it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pinchpoint"
INTERFACES = sorted([*(SRC / "cli").glob("*.py"), *(SRC / "api").glob("*.py")])

# Module-level collections an interface may hold, each with why it is the interface's own.
ALLOWED: dict[tuple[str, str], str] = {
    ("cli/output.py", "HINTS"): "how to get what is missing, with a command: CLI wording the core never names",
    ("cli/common.py", "OPTIONS"): "the CLI flag for a library parameter an error names",
    ("api/app.py", "HINTS"): "how an operator adds what is missing on the server: API wording",
    ("api/app.py", "ROUTER_MODULES"): "the routers the app includes",
}
CACHING = {"lru_cache", "cache", "cached_property", "Lock", "RLock"}


def _module_collections(tree: ast.Module) -> list[tuple[str, int]]:
    found = []
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if value is None:
            continue
        mutable = isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id in ("dict", "list", "set", "defaultdict", "OrderedDict"))
        if mutable:
            found += [(t.id, node.lineno) for t in targets if isinstance(t, ast.Name)]
    return found


def test_interfaces_hold_no_module_level_tables_or_caches() -> None:
    offences = []
    for path in INTERFACES:
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, line in _module_collections(tree):
            if (rel, name) not in ALLOWED:
                offences.append(f"{rel}:{line}: module-level {name} (a default or a dispatch table: move it into "
                                "the Session group)")
        for node in ast.walk(tree):
            used = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if used in CACHING:
                offences.append(f"{rel}:{node.lineno}: {used} (the Session holds what is built once)")
    assert not offences, "\n".join(offences)


def test_the_allowed_tables_still_exist() -> None:
    """An allowance for a table that is gone would let a new one of the same name in unseen."""
    for (rel, name), _why in ALLOWED.items():
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        assert name in {n for n, _ in _module_collections(tree)}, f"{rel}: {name} is gone: drop its allowance"


def test_cli_commands_reach_the_workspace_only_through_the_session() -> None:
    """A command that opens the workspace itself bypasses the Session's authorisation and held objects."""
    offences = []
    for path in sorted((SRC / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open_workspace":
                offences.append(f"cli/{path.name}:{node.lineno}: open_workspace(...)")
    assert not offences, "\n".join(offences)


COMMAND = re.compile(r"\bpinchpoint (lists|controls|trade|data|screen|stress|review|trends|sources|serve|scenarios|"
                     r"incentives|projects|projection|plan|audit|users|web|concentration|chokepoints|exposure)\b")
INTERFACE_PACKAGES = {"cli", "api", "web"}


def test_core_messages_name_no_command() -> None:
    """Errors and caveats from the library name no CLI command: each interface adds its own way of doing what is
    missing (the CLI a command, the API how an operator does it on the server)."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] in INTERFACE_PACKAGES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and COMMAND.search(node.value):
                offences.append(f"{rel}:{node.lineno}: {node.value[:100]!r}")
    assert not offences, "\n".join(offences)


#: capability packages (tests/test_structure.py's layers) whose functions an interface reaches through the Session
CAPABILITIES = {name for name, (role, _) in __import__("tests.test_structure", fromlist=["LAYERS"]).LAYERS.items()
                if role == "capability"}
# Capability functions an interface may call itself, each with why it is not a use case of the Session.
CALLS_ALLOWED: dict[tuple[str, str], str] = {
    ("cli/screening.py", "japanese_fallback"): "a note printed on stderr before a screening starts (the same "
                                               "sentence is the result's caveat, which the Session adds)",
}


def _capability_calls(tree: ast.Module) -> list[tuple[str, int]]:
    """Names imported from a capability package (at module level or inside a function) that the module calls."""
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("pinchpoint.")
                and node.module.split(".")[1] in CAPABILITIES for alias in node.names}
    # ``import pinchpoint.trade.queries as q`` binds q; without ``as`` the call is spelled out from pinchpoint
    imported |= {alias.asname for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
                 if alias.asname and alias.name.startswith("pinchpoint.")
                 and alias.name.split(".")[1] in CAPABILITIES}
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, path = node.func, []
        while isinstance(func, ast.Attribute):  # planner.check_table(...), pinchpoint.planning.planner.x(...)
            path.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name):
            continue
        dotted = [func.id, *reversed(path)]
        if func.id in imported:
            calls.append((func.id, node.lineno))
        elif dotted[0] == "pinchpoint" and len(dotted) > 2 and dotted[1] in CAPABILITIES:
            calls.append((".".join(dotted), node.lineno))
    return calls


def test_interfaces_call_capabilities_through_the_session() -> None:
    """A CLI command or an API route that calls a capability's function itself (a check, a reader, an analysis)
    does what a library user of the Session would not get: every use case is a Session method."""
    offences = []
    for path in INTERFACES:
        rel = path.relative_to(SRC).as_posix()
        for name, line in _capability_calls(ast.parse(path.read_text(encoding="utf-8"))):
            if (rel, name) not in CALLS_ALLOWED:
                offences.append(f"{rel}:{line}: calls {name} from a capability package (add a Session method)")
    assert not offences, "\n".join(offences)
    for (rel, name), _why in CALLS_ALLOWED.items():  # an allowance for a call that is gone would hide a new one
        assert name in {n for n, _ in _capability_calls(ast.parse((SRC / rel).read_text(encoding="utf-8")))}, rel


def test_the_capability_call_check_catches_a_direct_call() -> None:
    """The check itself, on the shapes a direct call takes (the planning CLI checked its table name with the
    planner's own function before it went through session.plan)."""
    direct = ast.parse("def plan():\n    from pinchpoint.planning.planner import check_table\n    check_table('x')\n")
    module = ast.parse("import pinchpoint.trade.queries\npinchpoint.trade.queries.growth()\n")
    constant = ast.parse("from pinchpoint.screening.matcher import MAX_QUERY_CHARS\nlimit = MAX_QUERY_CHARS\n")
    assert _capability_calls(direct) == [("check_table", 3)]
    assert _capability_calls(module) == [("pinchpoint.trade.queries.growth", 2)]
    assert _capability_calls(constant) == []
