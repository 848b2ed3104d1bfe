"""Imports that cannot fail in use: a deferred ``import logging`` or ``from .segments import
ensure`` at the top of a task does not put an error in its Future.

Reviewers judge a task that wraps its work in ``try: ... except Exception: log`` as one
that reports its own errors even when a deferred import stands before the ``try``
(ei-media's pre-warm tasks, ninety-first set: TS401 judged false). Two kinds count:

- a module of the standard library that every platform and every supported Python has
  (a fixed list: ``sys.stdlib_module_names`` would follow the interpreter running the
  linter, and names platform modules such as ``winreg`` and ``fcntl`` that fail elsewhere);
- a module of the linted project whose import-time imports load nothing outside the
  project that the importing module had not loaded already (the project join's
  ``import_closure``: a deferred ``from .exporters.parquet import write`` whose module
  imports ``pyarrow`` may fail; one deferred to break an import cycle does not).

A name that a newer Python added (``from datetime import UTC``) fails on an older one for
every call: a fault of the package's declared Python, not one of use. A name that only
some platforms have does fail in use, so a ``from`` import of a module with such names
(``PLATFORM_NAMES``) counts as one that may fail. Not ``from M import *``, and not a
third-party module: deferring one is how code makes a dependency optional, and its
``ImportError`` is the failure the Future would hide.
"""

from __future__ import annotations

import libcst as cst

from tsafe_lint.analysis.scopes import dotted_name
from tsafe_lint.project.import_statements import cst_statement_candidates
from tsafe_lint.standard_modules import PLATFORM_NAMES, STANDARD_MODULES


def import_cannot_fail(
    statement: cst.Import | cst.ImportFrom, module: str, package: bool, safe: frozenset[str]
) -> bool:
    """Is every module ``statement`` (in ``module``; ``package``: an ``__init__``) may
    load a standard one of ``STANDARD_MODULES``, or one the project join found loads
    nothing new (``safe``: ``ProjectContext.safe_imports``)?"""
    if isinstance(statement, cst.ImportFrom):
        if isinstance(statement.names, cst.ImportStar):
            return False
        source = dotted_name(statement.module) if statement.module is not None else None
        if not statement.relative and source in STANDARD_MODULES:
            return source not in PLATFORM_NAMES  # ``from signal import SIGALRM``
    candidates = cst_statement_candidates(statement, module, package)
    return bool(candidates) and all(
        candidate in STANDARD_MODULES or candidate in safe for candidate in candidates
    )
