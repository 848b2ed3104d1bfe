"""The files whose facts can reach the named files: their part of the import graph.

Every fact the join hands a module, and every chain the cross-module rules follow,
travels along qualified names, and a qualified name always starts at an import
(``links.py``). So a file that is not connected to a named file by a chain of imports
(in either direction, through any number of modules) changes nothing in its findings:
the named files' connected component of the import graph (nodes are module names, so
files sharing a name go together, as they do in the join) gives exactly the findings of
the whole project, at the cost of that component.

Finding the component must not cost a scan of every file: a file can only name a module
``a.b.c`` if the word ``c`` is in its text (or ``a.b.c`` is its own package, for
relative imports), so the search scans only files that contain the right words. When
it would scan a tenth of the project, the component is most of it in practice (a hub
module connects it) and the rest is not worth a scan: the whole project is analysed
(always a correct answer).
"""

from __future__ import annotations

import io
import re
import tokenize
import unicodedata
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from tsafe_lint.module_names import is_package
from tsafe_lint.project.links import Links, Unscannable, scan

#: Where a word can be part of a name the analysis resolves (``links.py``): after a dot,
#: past any spaces, comments, line breaks and continuations (``pkg.  # c`` / ``mod``);
#: in an import statement (``from`` to ``import``, ``import`` to the end of the logical
#: line); in a parenthesised import list.
#: (No leading ``\b``: a pattern that starts with a literal is searched for fast, and a
#: match inside a longer word only adds words.)
#: A comment is matched to the end of its line (``\n`` or the end of the text): with an
#: optional end, a run of ``#`` could be split into comments in exponentially many ways
#: (a licence banner of ``#####`` lines after a sentence's full stop took minutes).
_AFTER_DOT = re.compile(r"\.[ \t\f\n\\]*(?:#[^\n]*(?:\n[ \t\f\n\\]*|\Z))*(\w+)")
_IMPORTS = (
    re.compile(r"import\b([^\\\n]*(?:\\[\s\S][^\\\n]*)*)"),
    re.compile(r"from\b((?:[^\\\n]|\\[\s\S])*?)import\b"),  # the module: up to ``import``
)
_IMPORT_LIST = re.compile(r"import[ \t\f]*\(")
_WORD = re.compile(r"\w+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Links of a file, looked up (cache) or computed; its arguments: path, packages.
LinksOf = Callable[[str, frozenset[str]], "Links | None"]


def linking_words(source: bytes) -> set[str] | None:
    """The words of a file that can be part of an imported name (identifiers compared as
    Python compares them, after NFKC); ``None`` when its text cannot be decoded here
    (then it may name anything). A file without ``import`` names nothing."""
    second = source.find(b"\n", source.find(b"\n") + 1)
    if source.isascii() and b"coding" not in source[: second if second > 0 else None]:
        text = source.decode("ascii")  # an ASCII file without an encoding cookie
    else:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
            text = unicodedata.normalize("NFKC", source.decode(encoding))
        except (SyntaxError, LookupError, UnicodeError, ValueError):
            return None
    if "import" not in text:
        return set()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = set(_AFTER_DOT.findall(text))
    for pattern in _IMPORTS:
        for rest in pattern.findall(text):
            found.update(_WORD.findall(rest))
    for start in _IMPORT_LIST.finditer(text):
        found.update(_WORD.findall(_import_list(text, start.end())))
    return found


def _import_list(text: str, start: int) -> str:
    """The names of ``import (a, b,  # c\n d)`` from after the parenthesis: no strings
    there, so a ``#`` starts a comment and the first ``)`` outside one ends the list."""
    parts = []
    position = start
    while position < len(text):
        close = text.find(")", position)
        comment = text.find("#", position)
        if comment != -1 and (close == -1 or comment < close):
            parts.append(text[position:comment])
            end = text.find("\n", comment)
            position = len(text) if end == -1 else end
            continue
        parts.append(text[position : len(text) if close == -1 else close])
        break
    return " ".join(parts)


def related_files(
    files: Sequence[str],
    named: Sequence[str],
    modules: Mapping[str, str],
    sources: Mapping[str, bytes | None],
    links_of: LinksOf | None = None,
    budget: float = 0.1,
    minimum: int = 100,
) -> list[str]:
    """``named`` and every file connected to one by imports, sorted. Every file (always
    a correct answer) when the search would scan more than ``budget`` of them (and more
    than ``minimum``): a module that many files may import is a hub that connects most
    of the project, and scanning costs about as much as the analysis it would save. So
    too when a file cannot be scanned. ``sources``: the content of each file, ``None``
    for one that is not read (no summary, no links)."""
    by_module: dict[str, list[str]] = {}
    for path in files:
        by_module.setdefault(modules[path], []).append(path)
    packages = frozenset(
        ".".join(parts[:cut])
        for parts in (m.split(".") for m in by_module)
        for cut in range(1, len(parts))
    )
    scanner = links_of or (lambda path, wanted: _scan(path, modules, sources, wanted))
    last_names = {m.rsplit(".", 1)[-1] for m in by_module}
    by_word: dict[str, list[str]] = {}
    anywhere: list[str] = []  # files whose words are unknown: candidates for every module
    below: dict[str, list[str]] = {}  # package -> files inside it (relative imports)
    for path in files:
        source = sources.get(path)
        if source is None:
            continue
        found = linking_words(source)
        if found is None:
            anywhere.append(path)
        else:
            for word in found & last_names:
                by_word.setdefault(word, []).append(path)
        parts = modules[path].split(".")
        for cut in range(1, len(parts)):
            below.setdefault(".".join(parts[:cut]), []).append(path)

    def candidates(module: str) -> list[str]:
        """The files that can name ``module``: the word is in them, or they are inside
        it (relative imports), or their words are unknown."""
        last = module.rsplit(".", 1)[-1]
        if not _IDENTIFIER.match(last):  # a name the word index may spell differently
            return list(files)
        return [*by_word.get(last, ()), *anywhere, *below.get(module, ())]

    limit = max(budget * len(files), minimum)
    linked: dict[str, set[str]] = {}
    #: Every file the search will scan: the files of each module found and the files
    #: that can name it (each is scanned, as one or the other, before the search ends).
    bound: set[str] = set()

    def names_of(path: str) -> set[str]:
        if path not in linked:
            found = scanner(path, packages) if sources.get(path) is not None else None
            linked[path] = found.names() if found is not None else set()
        return linked[path]

    component: set[str] = set()
    queue: deque[str] = deque()

    def add(module: str) -> bool:
        """Put ``module`` in the component; False when the search got too costly."""
        component.add(module)
        queue.append(module)
        bound.update(by_module.get(module, ()))
        bound.update(candidates(module))
        return len(bound) <= limit

    try:
        if not all([add(m) for m in sorted({modules[p] for p in named if p in modules})]):
            return sorted(files)
        while queue:
            module = queue.popleft()
            found = {
                name
                for path in by_module.get(module, ())
                for name in names_of(path)
                if name in by_module
            }
            found |= {modules[p] for p in candidates(module) if module in names_of(p)}
            for other in sorted(found - component):
                if not add(other):
                    return sorted(files)  # a hub connects most of the project
    except Unscannable:
        return sorted(files)
    return sorted(p for p in files if modules[p] in component or p in named)


def _scan(
    path: str,
    modules: Mapping[str, str],
    sources: Mapping[str, bytes | None],
    packages: frozenset[str],
) -> Links | None:
    source = sources[path]
    assert source is not None
    return scan(source, modules[path], is_package(path), packages)


__all__ = ["linking_words", "related_files"]
