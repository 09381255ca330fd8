"""The rooms of the app and what each may import (docs/architecture.md), read from the code.

Every module's imports are read from its syntax tree (nothing is imported), so a
new import across rooms that the map does not allow fails here, as does an
import cycle between modules.
"""

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "casestudies"

# room -> the other rooms it may import. A room is a package or a top-level module
# of casestudies; docs/architecture.md explains each line.
ALLOWED: dict[str, set[str]] = {
    "models": set(),
    "datastamp": set(),
    "tabular": {"models"},
    "writes": {"models"},
    "plumbing": {"models", "releases"},
    "facets": {"models", "plumbing", "datastamp", "reads"},
    "reads": {"models", "plumbing", "datastamp", "facets", "benchmark"},
    "benchmark": {"models", "reads", "extracts"},
    "extracts": {"models", "plumbing", "facets", "reads", "tabular"},
    "importing": {"models", "tabular", "writes"},
    "releases": {"models", "plumbing", "reads", "extracts", "tabular"},
    "admin": {"models", "plumbing", "reads", "writes", "importing", "releases"},
    "views": {
        "models",
        "plumbing",
        "datastamp",
        "facets",
        "reads",
        "extracts",
        "tabular",
        "releases",
    },
    "templatetags": {"models", "plumbing"},
    "management": {
        "models",
        "plumbing",
        "datastamp",
        "tabular",
        "writes",
        "extracts",
        "importing",
        "releases",
        "benchmark",
    },
    "urls": {"views", "plumbing"},
    "apps": {"datastamp", "reads", "extracts"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """The casestudies modules ``path`` imports (``from . import x`` names x as a module
    when it is one). Imports for type checkers only are left out."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()

    def visit(node, depth):
        if isinstance(node, ast.If) and _is_type_checking(node):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            depth += 1
        if depth == 0 or not top_level_only:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("casestudies"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1])
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module or ""
                if target.startswith("casestudies"):
                    for alias in node.names:
                        candidate = f"{target}.{alias.name}"
                        as_path = APP.parent / candidate.replace(".", "/")
                        is_module = as_path.with_suffix(".py").exists() or as_path.is_dir()
                        found.add(candidate if is_module else target)
        for child in ast.iter_child_nodes(node):
            visit(child, depth)

    visit(ast.parse(path.read_text()), 0)
    return found


def _app_modules() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts)


def test_every_room_is_on_the_map():
    rooms = {_room(_module_name(p)) for p in _app_modules()} - {"casestudies"}
    assert rooms <= set(ALLOWED), f"rooms missing from ALLOWED: {sorted(rooms - set(ALLOWED))}"


def test_rooms_import_only_what_the_map_allows():
    wrong = []
    for path in _app_modules():
        module = _module_name(path)
        room = _room(module)
        for target in _imports(path):
            other = _room(target)
            if other not in (room, "casestudies") and other not in ALLOWED.get(room, set()):
                wrong.append(f"{module} imports {target}")
    assert wrong == [], "\n".join(wrong)


def test_no_two_modules_import_each_other_at_load_time():
    graph = defaultdict(set)
    for path in _app_modules():
        graph[_module_name(path)] |= _imports(path, top_level_only=True)
    cycles = []
    state: dict[str, int] = {}

    def walk(node, trail):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert cycles == [], "\n".join(cycles)


def test_the_walk_sees_imports_the_map_forbids():
    # The checks above are only as good as _imports: a relative import of a module,
    # an absolute one and a lazy one inside a function must all be found.
    sample = APP / "writes" / "history.py"
    found = _imports(sample)
    assert "casestudies.models" in found
    assert "casestudies.writes.workflow" in found
    lazy = APP / "writes" / "concurrency.py"
    assert "casestudies.writes.history" in _imports(lazy)
    assert "casestudies.writes.history" not in _imports(lazy, top_level_only=True)
