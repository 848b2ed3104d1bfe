"""The contract of a rule: a code, a name, a one-line summary, a docstring, a ``check``
of one module's facts and, for the few rules that need it, a ``check_project`` of the
whole project's joined summaries."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from tsafe_lint.analysis import ModuleAnalysis

if TYPE_CHECKING:
    from tsafe_lint.project.join import ProjectIndex


@dataclass(frozen=True)
class Fix:
    """Replace ``old`` by ``new`` in the module. ``safe``, in ruff's sense: the program
    does exactly what it did before (same behaviour on every path, exceptions included;
    no comment lost). A fix that can change what the program does is unsafe, however
    right it is, and applies only with ``--unsafe-fixes``. Every fix says which it is."""

    old: cst.CSTNode
    new: cst.CSTNode
    safe: bool


@dataclass(frozen=True)
class Finding:
    """What a rule reports: the node where the smell is and a message saying what and why,
    and a fix when the right code is unambiguous."""

    node: cst.CSTNode
    message: str
    fix: Fix | None = None


@dataclass(frozen=True)
class ProjectFinding:
    """What a rule reports from the whole project: a place in one of its files (the
    summaries hold positions, not nodes) and a message saying what and why."""

    path: str
    line: int
    col: int
    message: str


_RENDER = cst.Module(body=[])


def snippet(node: cst.CSTNode) -> str:
    """Source of ``node`` for a message, on one line (messages are one line each)."""
    return " ".join(_RENDER.code_for_node(node).split())


class Rule:
    """Base class. Subclasses set the class variables and implement ``check``.

    The docstring of a rule is its documentation, in the form *What it does / Why is
    this bad / Example / Use instead*. ``family`` defaults to the ``FAMILY`` of the
    rule's module.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    family: ClassVar[str]
    default_enabled: ClassVar[bool] = True
    fixable: ClassVar[bool] = False
    #: For fixable rules: "safe", "unsafe" or "sometimes" (as its findings' Fix.safe say);
    #: the docstring's **Fix safety** section says why.
    fix_safety: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "family" not in cls.__dict__:
            family = getattr(sys.modules[cls.__module__], "FAMILY", None)
            if family is not None:
                cls.family = family

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        raise NotImplementedError

    def check_project(self, project: ProjectIndex) -> Iterator[ProjectFinding]:
        """Findings only the whole project shows (chains through other modules)."""
        return iter(())

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")
