"""The shared package's layout is its architecture (docs/architecture.md): each folder is a role, imports point one
way, from where a request enters down to the plumbing, and no module imports itself back through another."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "layers" / "core" / "oidc_core"

# Who may import whom: a module imports its own room and the rooms below it, never one above.
# The modules at the top of the package (config, errors, http, routing, aws, observability, parameters) are the
# plumbing everything else stands on.
# pages (the HTML of the login and consent pages, zh-CN and en) is rendered by the endpoints and imports nothing but
# the plumbing: it ranks just below them, beside the grants, so no lower room can grow a dependency on HTML.
# factors (TOTP, recovery codes, passkeys, and how a TOTP secret is sealed) stands on the plumbing, keys/ and store/,
# beside the login path that will call it, so that a factor never reaches up into a grant, a page or an endpoint.
# codes (one-time codes by email and SMS: channels, texts, SES and SNS, the send limits) stores its codes and counters
# through store/ and is called by the login path and the endpoints: it ranks beside keys, above store.
RANK = {"endpoints": 5, "grants": 4, "pages": 4, "interaction": 4, "login": 3, "tokens": 3, "factors": 3, "keys": 2,
        "codes": 2, "store": 1, "passwords": 1, "": 0}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path) -> set[str]:
    """The modules of the package at `root` that a file imports, as dotted names (a `from a import b` of a submodule
    counts as a.b)."""
    package = root.name
    own = _module_name(path, root).split(".")
    own_package = own if path.name == "__init__.py" else own[:-1]
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = own_package[: len(own_package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != package:
                continue
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _graph(root: Path) -> dict[str, set[str]]:
    modules = {_module_name(path, root): path for path in root.rglob("*.py")}
    return {name: {m for m in _imports(path, root) if m in modules and m != name}
            for name, path in modules.items()}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else ""


def test_every_folder_of_the_package_is_a_known_room():
    rooms = {path.name for path in CORE.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert rooms == set(RANK) - {""}


def test_imports_point_from_the_endpoints_down_to_the_plumbing():
    upward = [(module, imported) for module, imports in _graph(CORE).items() for imported in imports
              if RANK[_room(imported)] > RANK[_room(module)]]
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_no_import_cycle_in_the_core_package():
    # A package imports its own submodules from __init__ (grants); that is an edge down, not a cycle.
    assert _cycles(_graph(CORE)) == []


def test_no_import_cycle_in_the_tools():
    assert _cycles(_graph(ROOT / "tools" / "oidc_tools")) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
