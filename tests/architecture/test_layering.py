"""The layering the folders promise holds in the imports: checked on the source, for every module."""

from __future__ import annotations

from tests.architecture.imports import ROOT, cycles, import_graph

ENTRY_POINTS = ("feed.commands",)  # the composition root: the only core modules that wire services and workers in
# never loaded by a service process
TOOLS = ("feed.bench", "feed.loadtest", "feed.loadkit", "feed.devstack", "feed.commands")
TOP_LEVEL_MAX = 12


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_no_module_imports_itself_back_through_others():
    assert cycles(import_graph()) == []


def test_the_core_never_imports_the_services_or_workers():
    offenders = {
        module: sorted(t for t in targets if _within(t, ("services", "workers")))
        for module, targets in import_graph().items()
        if _within(module, ("feed",)) and not _within(module, ENTRY_POINTS)
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_services_and_workers_never_import_the_load_tools_or_the_local_stack():
    graph = import_graph()
    offenders = {
        module: sorted(t for t in targets if _within(t, TOOLS))
        for module, targets in graph.items()
        if _within(module, ("services", "workers"))
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_the_core_modules_reached_from_a_service_never_reach_the_load_tools():
    """What `feed serve` and `feed worker` load: the services, the workers and every core module they
    import, transitively, stay clear of the benchmark, the load tool and the local stack."""
    graph = import_graph()
    seen: set[str] = set()
    todo = [m for m in graph if _within(m, ("services", "workers"))]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    assert sorted(m for m in seen if _within(m, TOOLS)) == []


def test_the_top_of_the_core_holds_a_dozen_modules_at_most():
    top = sorted(p.name for p in (ROOT / "feed").glob("*.py") if p.name != "__init__.py")
    assert len(top) <= TOP_LEVEL_MAX, top


def test_the_client_reaches_no_server_side_module():
    """feed.client runs in callers' processes: it may use the API's types, errors, tokens and settings,
    never the services, workers, stores, Redis or the load tools (their dependencies would come along)."""
    graph = import_graph()
    seen: set[str] = set()
    todo = [m for m in graph if _within(m, ("feed.client",))]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    allowed = {"feed", "feed.errors", "feed.config", "feed.ids", "feed.access", "feed.access.tokens"}
    assert sorted(m for m in seen if m not in allowed and not _within(m, ("feed.client",))) == []
