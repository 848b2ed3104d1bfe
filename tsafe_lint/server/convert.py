"""Findings as LSP diagnostics: 0-based positions in the client's units, the rule code
with a link to its page, and the why-trail as ``relatedInformation``."""

from __future__ import annotations

import os
from collections.abc import Sequence

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace.position_codec import PositionCodec

from tsafe_lint.codes import rule_url
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.trail import why_trail

SOURCE = "tsafe-lint"


def uri_of(path: str) -> str:
    return from_fs_path(os.path.abspath(path)) or path


def lsp_range(d: Diagnostic, lines: Sequence[str], codec: PositionCodec) -> types.Range:
    """The finding's span; a finding known only by its start (engine and cross-module
    findings) covers the rest of its line."""
    line = max(d.line - 1, 0)
    start = types.Position(line, max(d.col - 1, 0))
    if (d.end_line, d.end_col) > (d.line, d.col):
        end = types.Position(d.end_line - 1, d.end_col - 1)
    else:
        text = lines[line].rstrip("\r\n") if line < len(lines) else ""
        end = types.Position(line, max(len(text), start.character))
    return types.Range(
        codec.position_to_client_units(lines, start), codec.position_to_client_units(lines, end)
    )


def lsp_diagnostic(
    d: Diagnostic, lines: Sequence[str], codec: PositionCodec, root: str = ""
) -> types.Diagnostic:
    """``root``: where relative paths in the why-trail start (the project root)."""
    related = [
        types.DiagnosticRelatedInformation(
            types.Location(
                uri_of(os.path.join(root, step.path)),
                types.Range(types.Position(step.line - 1, 0), types.Position(step.line, 0)),
            ),
            step.label,
        )
        for step in why_trail(d)
    ]
    return types.Diagnostic(
        range=lsp_range(d, lines, codec),
        message=d.message,
        severity=types.DiagnosticSeverity.Error
        if d.code == "TS001"
        else types.DiagnosticSeverity.Warning,
        code=d.code,
        code_description=types.CodeDescription(href=rule_url(d.code)),
        source=SOURCE,
        related_information=related or None,
        data={"fixable": d.fixable, "name": d.name},
    )
