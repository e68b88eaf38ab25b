"""The packages depend downwards only: the client on the contracts, the shared plumbing on no
service, the alerts API on none of the workspace, and the SQL base on no table module (tables
register without an import cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imports_under(folder: str, exclude: str | None = None) -> dict[str, set[str]]:
    """The first-party modules each file under `folder` imports."""
    return {
        str(path.relative_to(ROOT)): {
            module
            for module in imported_modules(path)
            if module.split(".")[0] in {"services", "schemas", "healthmon_client"}
        }
        for path in sorted((ROOT / folder).rglob("*.py"))
        if exclude is None or exclude not in path.parts
    }


ALLOWED = {
    "healthmon_client": ("healthmon_client", "schemas"),
    "schemas": ("schemas",),
    "services/kafka": ("schemas", "services.kafka", "services.settings"),
    "services/web": ("schemas", "services.web", "services.db", "services.settings"),
    "services/db": ("schemas", "services.db"),
}


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_a_package_imports_only_what_lies_below_it(folder: str) -> None:
    allowed = ALLOWED[folder]
    # the migrations alone know every table module: they keep the whole schema
    found = imports_under(folder, exclude="migrations")
    assert found, f"no modules found under {folder}"
    wrong = {
        file: sorted(m for m in modules if not m.startswith(allowed))
        for file, modules in found.items()
    }
    assert {file: modules for file, modules in wrong.items() if modules} == {}


def test_the_sql_base_imports_no_table_module() -> None:
    assert imports_under("services/db", exclude="migrations")["services/db/sql.py"] == set()


def test_the_alerts_api_routes_import_nothing_of_the_workspace() -> None:
    found = imports_under("services/alerts/routes")
    assert found
    web = {
        file: sorted(m for m in modules if m.startswith("services.alerts.web"))
        for file, modules in found.items()
    }
    assert {file: modules for file, modules in web.items() if modules} == {}
