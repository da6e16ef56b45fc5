"""The house's layout, checked: every module in its layer, imports only downwards, no
cycles, which database runs known in one module. Read from the source with `ast`; nothing is
imported.

Where code lives is decided by cohesion: a module holds one concept, and code goes in the
module of the concept it belongs to, however long that module gets. The size limits below
are alarms, set well above today's largest module and function: one going off asks a reader
to look (has a second concept grown inside?), never to move code somewhere it does not belong
to get under the number."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps

from ..models.choice_labels import ChoiceLabels

APP = Path(__file__).resolve().parents[1]
PACKAGE = APP.name

# Lower layers never import higher ones. Within one layer, a package may import only itself.
LAYERS = {
    "apps": 0,
    "reference": 0,
    "links": 0,
    "database": 0,
    "request_ids": 0,
    "timestamps": 0,
    "validators": 1,
    "control_characters": 1,
    "form_messages": 1,
    "bulk": 1,
    "stored_files": 1,
    "spreadsheets": 1,
    "models": 2,
    "forms": 3,
    "reports": 3,
    "emails": 3,
    "metrics": 3,
    "filters": 4,
    "pagination": 4,
    "tasks": 5,
    "services": 6,
    "backups": 6,
    "views": 7,
    "api": 7,
    "management": 7,
    "admin": 7,
    "templatetags": 7,
    "urls": 8,
}
# Tasks load their service inside the task body: services queue tasks, so importing them
# at load time would make a cycle. Nothing else imports inside a function but AppConfig.ready.
DEFERRED_IMPORTS = {
    (f"{PACKAGE}.tasks", f"{PACKAGE}.services"),
    # AppConfig.ready connects the sign-in receiver, a view module: loadable only once apps are.
    (f"{PACKAGE}.apps", f"{PACKAGE}.views"),
    # ... and puts the control-character rule on every form field (Django's forms, loaded by then).
    (f"{PACKAGE}.apps", f"{PACKAGE}.control_characters"),
    # ... and Django's default form messages in plain words, the same way.
    (f"{PACKAGE}.apps", f"{PACKAGE}.form_messages"),
    # AppConfig.ready connects the Celery signals' receivers; the metrics read models.
    (f"{PACKAGE}.apps", f"{PACKAGE}.metrics"),
    # ... and reads each new connection's timestamps with psycopg's compiled loader.
    (f"{PACKAGE}.apps", f"{PACKAGE}.timestamps"),
    (f"{PACKAGE}.apps", f"{PACKAGE}.request_ids"),
}
# Which database runs is known in one module: the rest asks it a named question ("can it
# COPY?"). The suite's `postgresql` marker and the test of the answers read it too; migrations,
# not read here, may.
ASKS_THE_VENDOR = {f"{PACKAGE}.database", f"{PACKAGE}.tests.suite", f"{PACKAGE}.tests.test_database"}
# Alarms, not budgets (see the docstring). When they were set: 13 modules at the root, the
# longest module about 450 lines (filters.py), the longest function 56 lines.
ALARM_ROOT_MODULES = 20
ALARM_MODULE_LINES = 800
ALARM_FUNCTION_LINES = 100


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(APP.rglob("*.py")):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


@cache
def _parsed() -> dict[str, tuple[Path, ast.Module]]:
    return {name: (path, ast.parse(path.read_text(), str(path))) for name, path in _modules().items()}


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The project modules an import names (a `from package import submodule` names both)."""
    if node.level:
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    if not target.startswith(PACKAGE):
        return []
    known = _parsed()
    names = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known]
    return [target, *names] if target in known else names


def _imports(module: str, *, deferred: bool) -> set[str]:
    """Project modules imported at load time (or, with `deferred`, inside functions)."""
    path, tree = _parsed()[module]
    inside_functions = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if (id(node) in inside_functions) != deferred:
            continue
        if isinstance(node, ast.ImportFrom):
            found.update(_resolve(module, path, node))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE))
    return found - {module}


def _layer(module: str) -> tuple[str, int] | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] == "tests":
        return None
    return parts[1], LAYERS[parts[1]]


def _application_modules() -> list[str]:
    return [m for m in _parsed() if _layer(m) is not None]


def test_every_module_has_a_layer():
    unplaced = sorted({m.split(".")[1] for m in _parsed() if "." in m} - {*LAYERS, "tests"})
    assert unplaced == [], f"Give these a layer in LAYERS (or move them into one): {unplaced}"


def test_alarm_the_app_root_holds_many_modules():
    """An alarm: look whether some of them make one concept that wants a package."""
    root = sorted(p.name for p in APP.glob("*.py"))
    assert len(root) <= ALARM_ROOT_MODULES, root


@pytest.mark.parametrize("module", _application_modules())
def test_imports_only_go_down_the_layers(module):
    package, rank = _layer(module)
    wrong = []
    for target in _imports(module, deferred=False):
        target_package, target_rank = _layer(target) or ("", -1)
        if target_rank > rank or (target_rank == rank and target_package != package):
            wrong.append(target)
    assert wrong == [], f"{module} imports a higher or sibling layer: {sorted(wrong)}"


# What views share lives in these modules; a view module never imports another view module.
SHARED_VIEW_MODULES = {"access", "downloads", "headers", "navigation", "parts", "scope", "throttling", "uploads"}


def test_views_share_helpers_only_through_the_shared_modules():
    shared = {f"{PACKAGE}.views.{name}" for name in SHARED_VIEW_MODULES}
    borrowed = sorted(
        (module, target)
        for module in _application_modules()
        if module.startswith(f"{PACKAGE}.views.")
        for target in _imports(module, deferred=False)
        if target.startswith(f"{PACKAGE}.views.") and target not in shared and target != module
    )
    assert borrowed == []


def test_nothing_but_urls_imports_views():
    importers = sorted(
        m
        for m in _application_modules()
        if not m.startswith(f"{PACKAGE}.views")
        and m != f"{PACKAGE}.urls"
        and any(t.startswith(f"{PACKAGE}.views") for t in _imports(m, deferred=False))
    )
    assert importers == []


def test_no_import_inside_a_function_but_tasks_loading_services():
    found = sorted(
        (module, target)
        for module in _application_modules()
        for target in _imports(module, deferred=True)
        if (module, ".".join(target.split(".")[:2])) not in DEFERRED_IMPORTS
    )
    assert found == []


def test_no_import_cycles():
    graph = {m: _imports(m, deferred=False) for m in _parsed()}
    state: dict[str, str] = {}
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target] if target in trail else [module, target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_only_the_database_module_reads_the_vendor():
    readers = sorted(
        module
        for module, (_path, tree) in _parsed().items()
        if module not in ASKS_THE_VENDOR
        and any(isinstance(node, ast.Attribute) and node.attr == "vendor" for node in ast.walk(tree))
    )
    assert readers == [], f"Ask onboarding/database.py a named question instead of reading the vendor: {readers}"


def test_alarm_a_module_or_function_grew_long():
    """An alarm: look whether the module still holds one concept (or the function does one
    thing). Split by concept if not; never move code elsewhere only to make room."""
    long_modules, long_functions = [], []
    for module, (path, tree) in _parsed().items():
        lines = len(path.read_text().splitlines())
        if lines > ALARM_MODULE_LINES:
            long_modules.append((module, lines))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > ALARM_FUNCTION_LINES:
                    long_functions.append((f"{module}.{node.name}", length))
    assert (long_modules, long_functions) == ([], [])


# --- One door per protocol ---------------------------------------------------------------

OUTBOX_DOOR = f"{PACKAGE}.services.outbox"
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create"}


def _builds_outbox_rows(tree: ast.Module) -> bool:
    """`OutboxMessage(...)` or `OutboxMessage.objects.create(...)` (and its bulk cousins)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Name) and target.id == "OutboxMessage":
            return True
        if isinstance(target, ast.Attribute) and target.attr in WRITES:
            manager = target.value
            if isinstance(manager, ast.Attribute) and getattr(manager.value, "id", "") == "OutboxMessage":
                return True
    return False


def test_only_the_outbox_writes_outbox_rows():
    """Every email goes through `outbox_post`, which leases and queues what it writes: a row
    written anywhere else would wait for the recovery beat, or skip the lease rules."""
    builders = [name for name, (_, tree) in _parsed().items() if _builds_outbox_rows(tree)]
    app = [name for name in builders if ".tests" not in name]
    assert app == [OUTBOX_DOOR]


def test_every_model_with_choices_shows_them_through_choice_labels():
    """get_FOO_display is one door (models/choice_labels.py): Django's own translates every
    label of the field on each call, which a list pays once per row."""
    missing = [
        model.__name__
        for model in apps.get_app_config("onboarding").get_models()
        if not model.__name__.startswith("Historical")
        and any(field.choices for field in model._meta.concrete_fields)
        and not issubclass(model, ChoiceLabels)
    ]
    assert missing == [], f"models whose get_FOO_display bypasses ChoiceLabels: {missing}"
