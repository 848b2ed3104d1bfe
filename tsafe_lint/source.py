"""Reading and parsing one file, turning every way that can fail into a TS001 reason.

CPython's own compiler checks the file first (``ast.parse`` compiles, it never runs
anything): its verdict is the running interpreter's, its error locations are exact, and
it stops code that would make LibCST's native parser overflow its stack and kill the
process (very long ``and``/``or`` chains). Then LibCST parses it. LibCST raises
``ParserSyntaxError`` (not a ``SyntaxError``), reports some locations a line late, and
rejects a little valid Python (``(x): int = 1``, LibCST issue 1011): we say so plainly.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

import libcst as cst

_LIBCST_LOCATION = re.compile(r"error at (\d+):(\d+)")

#: Longest ``a and b and ...`` chain handed to LibCST: it nests one level per operand,
#: and its native parser crashes the process (not an exception) somewhere past 6,000.
MAX_BOOLEAN_OPERANDS = 1000


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
    tree: ast.Module  # CPython's tree of the same source, which the check made anyway


def parse_source(source: bytes | str) -> ParsedSource | ParseFailure:
    """Parse ``source`` with LibCST, or explain why it cannot be parsed."""
    tree = _check_with_cpython(source)
    if isinstance(tree, ParseFailure):
        return tree
    try:
        module = cst.parse_module(source)
    except RecursionError:
        return ParseFailure("code is nested too deeply for the parser")
    except MemoryError:
        return ParseFailure("code is too large or nested too deeply for the parser")
    except (cst.ParserSyntaxError, SyntaxError, UnicodeError, ValueError) as exc:
        return _libcst_only_failure(source, exc)
    text = source if isinstance(source, str) else source.decode(module.encoding, "replace")
    return ParsedSource(module, text.splitlines(), tree)


def check_syntax(source: bytes | str) -> ast.Module | ParseFailure:
    """CPython's verdict alone (for files that need no LibCST analysis): its tree or why
    the file is not valid Python."""
    text_form = source if isinstance(source, str) else source.decode("latin-1")
    if "\x00" in text_form:
        line = text_form[: text_form.index("\x00")].count("\n") + 1
        return ParseFailure("source contains a NUL byte", line, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError as exc:
        reason = exc.msg or "invalid syntax"
        if isinstance(exc, UnicodeError) or "encod" in reason or "decode" in reason:
            return ParseFailure(f"cannot decode source: {reason}", exc.lineno or 1, 1)
        return ParseFailure(f"syntax error: {reason}", exc.lineno or 1, exc.offset or 1)
    except (RecursionError, MemoryError):
        return ParseFailure("code is nested too deeply for the parser")
    except (ValueError, UnicodeError) as exc:
        return ParseFailure(f"cannot decode source: {exc}")


def _check_with_cpython(source: bytes | str) -> ast.Module | ParseFailure:
    """CPython's verdict on the file (syntax, encoding, nesting): its tree when it is fine."""
    tree = check_syntax(source)
    if isinstance(tree, ParseFailure):
        return tree
    if _many_boolean_operators(source):
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and len(node.values) > MAX_BOOLEAN_OPERANDS:
                return ParseFailure(
                    f"an 'and'/'or' chain of {len(node.values)} operands is too long for "
                    f"LibCST to parse safely (limit {MAX_BOOLEAN_OPERANDS})",
                    node.lineno,
                    node.col_offset + 1,
                )
    return tree


def _many_boolean_operators(source: bytes | str) -> bool:
    if isinstance(source, str):
        return source.count(" and ") + source.count(" or ") > MAX_BOOLEAN_OPERANDS
    return source.count(b" and ") + source.count(b" or ") > MAX_BOOLEAN_OPERANDS


def _libcst_only_failure(source: bytes | str, libcst_error: Exception) -> ParseFailure:
    """CPython accepts the file but LibCST does not: say so, at LibCST's location."""
    detail = str(libcst_error).splitlines()
    line, col = 1, 1
    match = _LIBCST_LOCATION.search(str(libcst_error))
    if match:
        line, col = int(match.group(1)), int(match.group(2)) + 1  # LibCST's is 0-based
    text = source if isinstance(source, str) else source.decode("utf-8", errors="replace")
    line = max(1, min(line, len(text.splitlines()) or 1))
    first = next((d for d in detail if "error" in d), detail[0] if detail else "")
    return ParseFailure(
        "valid Python that LibCST cannot parse (a LibCST limitation; "
        f"its location may be a line late): {first.strip()}",
        line,
        col,
    )
