"""Reporting's modules: no import cycle among them (at module level), nothing imports the
service's composition (``app``), and the rules modules import no I/O."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "reporting"
RULES = ("access", "disputes", "periods", "submissions", "topics")
IO = ("pymongo", "aiokafka", "fastapi", "faststream", "reporting.store", "reporting.bulletin_store")


def imports(name: str, top_level_only: bool = True) -> set[str]:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "reporting":
                found |= {f"reporting.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def test_no_module_imports_another_that_imports_it_back() -> None:
    graph = {
        m: {i.removeprefix("reporting.") for i in imports(m) if i.startswith("reporting.")} for m in modules()
    }

    def cycle_from(start: str, at: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        for nxt in graph.get(at, ()):
            if nxt == start:
                return (*path, nxt)
            if nxt not in path:
                found = cycle_from(start, nxt, (*path, nxt))
                if found:
                    return found
        return None

    for module in graph:
        assert cycle_from(module, module, (module,)) is None, " → ".join(
            cycle_from(module, module, (module,)) or ()
        )


def test_only_the_entry_point_imports_the_services_composition() -> None:
    importers = [m for m in modules() if "reporting.app" in imports(m, top_level_only=False)]
    assert importers == ["__main__"]


def test_the_rules_modules_import_no_io() -> None:
    for module in RULES:
        found = imports(module, top_level_only=False)
        assert not {i for i in found if i.startswith(IO)}, module
