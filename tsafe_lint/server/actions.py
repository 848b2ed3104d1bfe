"""Code actions on a document: each finding's safe fix, every safe fix in the file, and
a ``# noqa: CODE`` for a finding. Each is computed on the buffer's current text with the
same functions as ``--fix`` and ``--add-noqa``, and returned as one minimal edit."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.noqa_writer import add_noqa

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.tsafe-lint"


def text_edit(old: str, new: str, codec: PositionCodec) -> types.TextEdit:
    """One edit replacing the lines where ``old`` and ``new`` differ."""
    before = old.splitlines(keepends=True)
    after = new.splitlines(keepends=True)
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(before), len(after)) - head
        and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]
    ):
        tail += 1
    start = types.Position(head, 0)
    end_line = len(before) - tail
    if end_line < len(before) or not before or before[-1].endswith(("\n", "\r")):
        end = types.Position(end_line, 0)
    else:  # the change reaches a last line without a line break
        last = before[-1]
        end = codec.position_to_client_units(before, types.Position(len(before) - 1, len(last)))
    return types.TextEdit(types.Range(start, end), "".join(after[head : len(after) - tail]))


def _edit(uri: str, version: int | None, edit: types.TextEdit) -> types.WorkspaceEdit:
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(document, [edit])])


def _only(wanted: str) -> Callable[[str], bool]:
    return lambda code: code == wanted


def fix_actions(
    uri: str,
    version: int | None,
    text: str,
    path: str,
    findings: Sequence[tuple[Diagnostic, types.Diagnostic]],
    codec: PositionCodec,
) -> list[types.CodeAction]:
    """A quick fix per fixable finding. As in ruff's editors, a quick fix is chosen by
    hand, one finding at a time, so unsafe fixes are offered too, marked "(unsafe)" and
    never preferred (an editor may apply a preferred fix on its own)."""
    from tsafe_lint.fixes import fix_source  # LibCST: only when a fix is asked for

    actions = []
    source = text.encode("utf-8")
    for finding, shown in findings:
        if not finding.fixable:
            continue
        outcome = fix_source(source, path, _only(finding.code), False, finding.line)
        safe = outcome.fixed is not None
        if not safe and outcome.unsafe_left:
            outcome = fix_source(source, path, _only(finding.code), True, finding.line)
        if outcome.fixed is None:
            continue
        edit = text_edit(text, outcome.fixed.decode("utf-8"), codec)
        actions.append(
            types.CodeAction(
                title=f"Fix {finding.code} ({finding.name})" + ("" if safe else " (unsafe)"),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                is_preferred=safe,
                edit=_edit(uri, version, edit),
            )
        )
    return actions


def noqa_actions(
    uri: str,
    version: int | None,
    text: str,
    findings: Sequence[tuple[Diagnostic, types.Diagnostic]],
    codec: PositionCodec,
) -> list[types.CodeAction]:
    """Offer "silence with ``# noqa: CODE``" for each finding a comment can silence."""
    actions = []
    for finding, shown in findings:
        if finding.code in ("TS001", "TS002"):
            continue
        outcome = add_noqa(text, {finding.line: [finding.code]})
        if outcome.fixed is None:
            continue  # its line continues a string, or already says noqa
        edit = text_edit(text, outcome.fixed.decode("utf-8"), codec)
        actions.append(
            types.CodeAction(
                title=f"Silence {finding.code} on this line (# noqa: {finding.code})",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                edit=_edit(uri, version, edit),
            )
        )
    return actions


def fix_all_action(
    uri: str, version: int | None, text: str, path: str, config: Config, codec: PositionCodec
) -> types.CodeAction | None:
    """Every safe fix the configuration allows in the file (``source.fixAll.tsafe-lint``)."""
    from tsafe_lint.fixes import fix_source

    def accepts(code: str) -> bool:
        return config.is_enabled(code, config.ignores_for(path))

    outcome = fix_source(text.encode("utf-8"), path, accepts, False)
    if outcome.fixed is None:
        return None
    return types.CodeAction(
        title="Fix all safe tsafe-lint fixes in this file",
        kind=FIX_ALL,
        edit=_edit(uri, version, text_edit(text, outcome.fixed.decode("utf-8"), codec)),
    )
