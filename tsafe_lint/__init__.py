"""tsafe-lint: find thread-safety smells in Python code before they become heisenbugs."""

__version__ = "0.1.0"
