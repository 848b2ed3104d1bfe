"""A finding's identity across edits: its rule, its enclosing function and its code.

Line numbers change whenever lines are added above a finding; its identity should not.
A fingerprint hashes the rule code, the qualified name of the innermost enclosing
function or class (``Worker.run``; empty at module level) and the *normalised* logical
line the finding starts on: its tokens without comments, whitespace or line breaks,
strings by value, so reformatting (indentation, spacing, quotes, wrapping a call over
several lines) and comments (a new ``# noqa``) leave it alone. The file is not in the
hash: the baseline keeps it beside, and SARIF keeps it in the location.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.reading import read_source

_SKIPPED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
    tokenize.ENCODING,
}


@dataclass(frozen=True)
class SourceIndex:
    """What fingerprints need of one file, computed once: each line's normalised logical
    line and the enclosing scope of each line."""

    logical: dict[int, str]
    scopes: list[tuple[int, int, str]]  # (first line, last line, qualified name), outer first
    lines: list[str]

    def scope_at(self, line: int) -> str:
        found = ""
        for first, last, name in self.scopes:
            if first <= line <= last:
                found = name  # sorted outer first: the last match is the innermost
        return found

    def code_at(self, line: int) -> str:
        if line in self.logical:
            return self.logical[line]
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return "".join(text.split())


def index_source(source: bytes | str) -> SourceIndex:
    """Tokenise and parse ``source`` once (never raises: a file that does not tokenise or
    parse falls back to its physical lines and no scopes)."""
    text = source if isinstance(source, str) else _decode(source)
    return SourceIndex(_logical_lines(text), _scopes(text), text.splitlines())


def fingerprint(diagnostic: Diagnostic, index: SourceIndex) -> str:
    """A stable hex digest of the finding's rule, scope and normalised code."""
    parts = (diagnostic.code, index.scope_at(diagnostic.line), index.code_at(diagnostic.line))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def relative_path(path: str, root: Path) -> str:
    """``path`` relative to the project root, with ``/``: the same file is the same
    string whichever directory tsafe-lint was started from (the path as given when it
    lies outside the root)."""
    absolute = os.path.abspath(path)
    try:
        return Path(absolute).relative_to(root.resolve()).as_posix()
    except ValueError:
        try:
            return Path(absolute).relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            return Path(path).as_posix()


def read_index(path: str, sources: dict[str, bytes] | None = None) -> SourceIndex:
    """The index of ``path``, from ``sources`` (standard input, editor buffers) or disk."""
    if sources is not None and path in sources:
        return index_source(sources[path])
    try:
        return index_source(read_source(path))  # never a FIFO: it would block
    except OSError:
        return index_source("")


def fingerprints(
    diagnostics: Sequence[Diagnostic], sources: dict[str, bytes] | None = None
) -> list[str]:
    """The fingerprint of each finding, each file read and indexed once."""
    indexes: dict[str, SourceIndex] = {}
    result = []
    for d in diagnostics:
        if d.path not in indexes:
            indexes[d.path] = read_index(d.path, sources)
        result.append(fingerprint(d, indexes[d.path]))
    return result


def _decode(source: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding, "replace")
    except (SyntaxError, LookupError):
        return source.decode("utf-8", "replace")


def _logical_lines(text: str) -> dict[int, str]:
    """Physical line -> the normalised tokens of the logical line it belongs to."""
    result: dict[int, str] = {}
    tokens: list[str] = []
    first = 0
    last = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NEWLINE:
                for line in range(first, max(last, first) + 1):
                    result[line] = " ".join(tokens)
                tokens, first = [], 0
                continue
            if token.type in _SKIPPED:
                continue
            if not first:
                first = token.start[0]
            last = token.end[0]
            tokens.append(_normal(token))
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass  # unterminated code at the end: those lines fall back to their text
    return result


def _normal(token: tokenize.TokenInfo) -> str:
    if token.type == tokenize.STRING:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return repr(ast.literal_eval(token.string))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return token.string
    return token.string


def _scopes(text: str) -> list[tuple[int, int, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    scopes: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                scopes.append((first, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    try:
        visit(tree, "")
    except RecursionError:
        return []
    return sorted(scopes, key=lambda scope: (scope[0], -scope[1]))
