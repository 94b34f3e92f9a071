"""The import rules of ARCHITECTURE.md, checked on the source: what may import what, and no new cycles.

Imports are read with ``ast`` at every depth, so an import inside a function counts as much as one
at the top of a module; imports under ``if TYPE_CHECKING:`` never run and do not count.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The spacehub modules ``path`` imports (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text())
    for block in ast.walk(tree):  # imports for the type checker only never run
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING":
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from package import module` needs the module; `from module import name` the module
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m == "spacehub" or m.startswith("spacehub.")}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in (SRC / "spacehub").rglob("*.py")}
    # an imported name that is not a module (a function) stands for the module that defines it
    def resolve(m: str) -> str:
        return m if m in modules else m.rpartition(".")[0]

    return {name: {resolve(m) for m in imports_of(path)} - {name} for name, path in modules.items()}


def imported_from(graph, package: str) -> set[str]:
    return {m for name, deps in graph.items() if name.startswith(package) for m in deps}


def test_config_imports_nothing_else_of_spacehub(graph):
    outside = {m for m in imported_from(graph, "spacehub.config") if not m.startswith("spacehub.config")}
    assert outside <= {"spacehub"}, outside


def test_deploy_imports_only_config(graph):
    outside = {m for m in imported_from(graph, "spacehub.deploy")
               if not m.startswith(("spacehub.deploy", "spacehub.config"))}
    assert outside <= {"spacehub"}, outside


@pytest.mark.parametrize("forbidden", ["widgets", "hub", "deploy", "services", "gateway", "render"])
def test_catalog_does_not_reach_up(graph, forbidden):
    assert not {m for m in imported_from(graph, "spacehub.catalog") if m.startswith(f"spacehub.{forbidden}")}


def test_science_library_stands_alone(graph):
    """analysis is numpy/xarray/dask; it may read files through the readers (exposure from a GTI), no more."""
    outside = {m for m in imported_from(graph, "spacehub.analysis")
               if not m.startswith(("spacehub.analysis", "spacehub.catalog.readers"))}
    assert outside <= {"spacehub"}, outside


def cycles(graph) -> set[frozenset[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = set()

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.add(frozenset(group))

    for v in graph:
        if v not in index:
            visit(v)
    return found


#: cycles known and accepted, each with why:
KNOWN = [
    # the batch search reads BATCHES_PER_THREAD from its package at call time, so setting
    # spacehub.analysis.transits.BATCHES_PER_THREAD takes effect
    frozenset({"spacehub.analysis.transits", "spacehub.analysis.transits.batch"}),
    # an intake catalog's reader is rebuilt by import path and reaches the catalog through
    # spacehub.catalog.open at read time, as any notebook does
    frozenset({"spacehub.catalog", "spacehub.catalog.catalog", "spacehub.catalog.intake_"}),
    # spacehub.open_file imports spacehub.files when called (the package imports nothing at import
    # time), and the readers warn with the package's SpacehubWarning
    frozenset({"spacehub", "spacehub.files", "spacehub.catalog.readers", "spacehub.catalog.readers.cdf",
               "spacehub.catalog.readers.fits", "spacehub.catalog.readers.fits_archives",
               "spacehub.catalog.readers.fits_time"}),
]


def test_no_new_import_cycles(graph):
    new = [sorted(c) for c in cycles(graph) if not any(c <= known for known in KNOWN)]
    assert not new, f"import cycles: {new}"


def test_the_cache_does_not_import_the_catalog(graph):
    assert not {m for m in graph["spacehub.data.cache"] if m.startswith("spacehub.catalog")}


def test_only_the_edge_reads_the_environment_or_settings():
    """Nothing under catalog/ nor the cache reads environment variables or the settings file; the
    catalog's `open` hands that to spacehub.environment (the edge)."""
    paths = [*(SRC / "spacehub" / "catalog").rglob("*.py"), SRC / "spacehub" / "data" / "cache.py"]
    readers = [str(p.relative_to(SRC)) for p in paths
               if any(word in p.read_text() for word in ("os.environ", "os.getenv", "load_settings"))]
    assert readers == []
    edge_users = {name for name, deps in graph_of_catalog().items() if "spacehub.environment" in deps}
    assert edge_users == {"spacehub.catalog"}


def graph_of_catalog() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in (SRC / "spacehub" / "catalog").rglob("*.py")}


def test_only_the_cdf_program_loads_pycdfpp(graph):
    """pycdfpp can crash on a damaged file: it is imported only by the code the CDF program runs
    (`child._serve`, `cdf_decode`, `_kernels`) and by `samples` (which writes files), and that
    code only by the program's module."""
    loaders = set()
    for path in (SRC / "spacehub").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n and n.split(".")[0] == "pycdfpp" for n in names):
                loaders.add(module_name(path))
    program = {"spacehub.catalog.readers.child", "spacehub.catalog.readers.cdf_decode",
               "spacehub.catalog.readers._kernels"}
    assert {m for m in loaders if not m.startswith("spacehub.samples")} == program
    users = {name for name, deps in graph.items() if deps & (program - {"spacehub.catalog.readers.child"})}
    assert users <= program, users
