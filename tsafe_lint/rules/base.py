"""The contract of a rule: a code, a name, a one-line summary, a docstring, a ``check``."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from tsafe_lint.analysis import ModuleAnalysis


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


_RENDER = cst.Module(body=[])


def snippet(node: cst.CSTNode) -> str:
    """Source of ``node`` for a message, on one line (messages are one line each)."""
    return " ".join(_RENDER.code_for_node(node).split())


class Rule:
    """Base class. Subclasses set the class variables and implement ``check``.

    The docstring of a rule is its documentation, in the form *What it does / Why is
    this bad / Example / Use instead*.
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

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")
