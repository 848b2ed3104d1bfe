"""Reading and parsing one file, turning every way that can fail into a TS001 reason.

LibCST raises ``ParserSyntaxError`` (not a ``SyntaxError``), ``SyntaxError`` from
encoding detection and ``RecursionError`` on deep nesting; it also reports some
locations one line late and rejects a little valid Python. When LibCST fails we ask
CPython's own compiler (``ast.parse``: it compiles, never runs) for the real location,
and say plainly when the code is valid Python that LibCST cannot read.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

import libcst as cst

_LIBCST_LOCATION = re.compile(r"error at (\d+):(\d+)")


@dataclass(frozen=True)
class ParseFailure:
    """Why a file could not be analysed, and where, when known (1-based)."""

    reason: str
    line: int = 1
    col: int = 1


@dataclass(frozen=True)
class ParsedSource:
    """A parsed module with its decoded text, split into lines for suppression comments."""

    module: cst.Module
    lines: list[str]


def parse_source(source: bytes) -> ParsedSource | ParseFailure:
    """Parse ``source`` with LibCST, or explain why it cannot be parsed."""
    if b"\x00" in source:
        line = source[: source.index(b"\x00")].count(b"\n") + 1
        return ParseFailure("source contains a NUL byte", line, 1)
    try:
        module = cst.parse_module(source)
    except RecursionError:
        return ParseFailure("code is nested too deeply for the parser")
    except MemoryError:
        return ParseFailure("code is too large or nested too deeply for the parser")
    except (cst.ParserSyntaxError, SyntaxError, UnicodeError, ValueError) as exc:
        return _explain_failure(source, exc)
    text = source.decode(module.encoding, errors="replace")
    return ParsedSource(module, text.splitlines())


def _explain_failure(source: bytes, libcst_error: Exception) -> ParseFailure:
    """Prefer CPython's own diagnosis; fall back to LibCST's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as exc:
        reason = exc.msg or "invalid syntax"
        if isinstance(exc, UnicodeError) or "encod" in reason or "decode" in reason:
            return ParseFailure(f"cannot decode source: {reason}", exc.lineno or 1, 1)
        return ParseFailure(f"syntax error: {reason}", exc.lineno or 1, exc.offset or 1)
    except (RecursionError, MemoryError):
        return ParseFailure("code is nested too deeply for the parser")
    except (ValueError, UnicodeError) as exc:
        return ParseFailure(f"cannot decode source: {exc}")
    # CPython accepts it, LibCST does not (e.g. ``(x): int = 1``, LibCST issue 1011).
    detail = str(libcst_error).splitlines()
    line, col = 1, 1
    match = _LIBCST_LOCATION.search(str(libcst_error))
    if match:
        line, col = int(match.group(1)), int(match.group(2))
    first = next((d for d in detail if "error" in d), detail[0] if detail else "")
    return ParseFailure(
        "valid Python that LibCST cannot parse (a LibCST limitation; "
        f"its location may be a line late): {first.strip()}",
        line,
        col,
    )
