"""TS406: a module global imported by value, rebound in one module, polled in another."""

from __future__ import annotations

from collections.abc import Iterator

from tsafe_lint.analysis import ModuleAnalysis
from tsafe_lint.project.join import ProjectIndex
from tsafe_lint.rules.base import Finding, ProjectFinding, Rule

FAMILY = "threads"


class ImportedFlagRebound(Rule):
    """Flags ``global NAME; NAME = value`` where ``NAME`` came from ``from m import NAME``
    and another module's ``while`` loop tests ``m.NAME``: only this module's copy changes.

    **What it does**

    ``from settings import RUNNING`` gives the importing module a name of its own, bound
    to the value ``settings.RUNNING`` had at import time. A function that declares
    ``global RUNNING`` and assigns it rebinds that module's name, nothing else. The rule
    reports such an assignment when a ``while`` loop in another module of the project
    tests the same global: the module that defines it (``while RUNNING:`` in
    ``settings.py``) or another module that imported it by value. Re-exports through a
    package's ``__init__`` are followed. A name the module also binds otherwise (a
    fallback in ``except ImportError:``) and a module imported by name are left alone.

    **Why is this bad**

    It is the usual way to stop worker threads that does not work: the main thread sets
    its copy of the flag to ``False``, the workers keep testing theirs, which stays
    ``True``, and the process never exits (nsj-queue-lib's HALT, which stopped only the
    main loop while its retry, purge and notify threads ran on).

    **Example**

    ```python
    # settings.py
    RUNNING = True

    # worker.py
    from settings import RUNNING

    def work():
        while RUNNING:
            ...

    # main.py
    from settings import RUNNING

    def halt():
        global RUNNING
        RUNNING = False             # worker.py never sees it
    ```

    **Use instead**

    Assign the attribute of the module every thread reads, or better, share a
    ``threading.Event``:

    ```python
    # settings.py
    import threading

    stop = threading.Event()

    # worker.py
    from settings import stop

    def work():
        while not stop.is_set():
            ...

    # main.py
    from settings import stop

    def halt():
        stop.set()
    ```

    **References**

    Python language reference, "The import system" and "The global statement"; Python
    docs, ``threading.Event``.
    """

    code = "TS406"
    name = "imported-flag-rebound"
    summary = "rebinds its own copy of an imported global that other modules' loops poll"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        return iter(())  # only the project shows who else polls the global

    def check_project(self, project: ProjectIndex) -> Iterator[ProjectFinding]:
        pollers: dict[str, set[str]] = {}
        for summary in project.modules.values():
            for real in summary.polled_globals:
                pollers.setdefault(_defined_as(project, real), set()).add(summary.path)
        for summary in project.modules.values():
            for name, real, line, col in summary.rebound_imports:
                assert isinstance(real, str) and isinstance(line, int) and isinstance(col, int)
                if real in project.modules:
                    continue  # ``from pkg import mod``: a module, whose attributes are shared
                defined = _defined_as(project, real)
                others = sorted(pollers.get(defined, set()) - {summary.path})
                if not others:
                    continue
                where = ", ".join(others[:3]) + (
                    f" and {len(others) - 3} more" if len(others) > 3 else ""
                )
                module, _, attribute = defined.rpartition(".")
                yield ProjectFinding(
                    summary.path,
                    line,
                    col,
                    f"assigning '{name}' rebinds only this module's copy of '{defined}' "
                    f"(imported by value): the 'while' loops in {where} test theirs and never "
                    f"see the change; assign '{module.rsplit('.', 1)[-1]}.{attribute}' on its "
                    "module, or share a threading.Event",
                )


def _defined_as(project: ProjectIndex, real: str, depth: int = 0) -> str:
    """The real name a module global is defined under, through re-exports
    (``pkg.RUNNING`` imported into ``pkg/__init__.py`` from ``pkg.settings``)."""
    module, _, name = real.rpartition(".")
    summary = project.modules.get(module)
    if summary is None or depth >= 8:
        return real
    target = summary.imports.get(name)
    if target is None or target == real:
        return real
    return _defined_as(project, target, depth + 1)


RULES: list[type[Rule]] = [ImportedFlagRebound]
