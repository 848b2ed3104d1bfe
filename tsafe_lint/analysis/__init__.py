"""The facts every rule reads, computed once per module (see ``ModuleAnalysis``)."""

from tsafe_lint.analysis.module import ModuleAnalysis

__all__ = ["ModuleAnalysis"]
