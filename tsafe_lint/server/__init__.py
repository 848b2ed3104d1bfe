"""``tsafe-lint server``: a language server (LSP over stdio) built on pygls.

Editors get the same findings as the command line (same configuration, ``# noqa``,
baseline and whole-project facts, through ``Linter.lint_paths``) while the user types,
with quick fixes, "fix all", "silence with noqa" and the rule's explanation on hover.
pygls and lsprotocol come with the ``server`` extra: ``pip install 'tsafe-lint[server]'``.
"""

from __future__ import annotations


def missing_dependencies() -> str | None:
    """Why the server cannot start (its extra is not installed), or ``None``."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError as exc:
        return (
            f"the language server needs pygls and lsprotocol ({exc}); "
            "install them with: pip install 'tsafe-lint[server]'"
        )
    return None


def serve() -> None:
    """Run the server on standard input and output until the client says exit."""
    from tsafe_lint.server.app import create_server

    create_server().start_io()
