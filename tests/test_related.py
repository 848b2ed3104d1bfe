"""Named files are analysed with their part of the import graph only (issue 15).

``tsafe-lint work.py`` must report what the whole tree reports for ``work.py``, and it
should not pay for files that cannot change that: a file no chain of imports connects
to ``work.py`` is never analysed. Each project below is linted whole, then file by file
with no cache, a cold cache and a warm one; the findings must be identical.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.samples import BAD, WORK_RACY, write
from tsafe_lint.cache import CACHE_DIR_NAME, Cache, content_key
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.discovery import discover
from tsafe_lint.engine import Linter
from tsafe_lint.module_names import module_name
from tsafe_lint.project.links import scan
from tsafe_lint.project.related import linking_words, related_files
from tsafe_lint.results import is_result_json


def pool_runner(imports: str, target: str) -> str:
    """A module that submits ``target`` to a thread pool."""
    return (
        "from concurrent.futures import ThreadPoolExecutor\n"
        f"{imports}\n\n\n"
        "def main():\n"
        "    with ThreadPoolExecutor() as pool:\n"
        f"        futures = [pool.submit({target}, i) for i in range(20)]\n"
        "    return [f.result() for f in futures]\n"
    )


#: A module with threads and findings of its own that nothing imports: costly, unrelated.
UNRELATED = BAD + "\n\ndef other():\n    threading.Thread(target=f).start()\n"

#: Each project: its files, the named file, and which files its findings depend on.
PROJECTS: dict[str, tuple[dict[str, str], str, set[str]]] = {
    "a chain of imports": (
        {
            "work.py": WORK_RACY,
            # threading vocabulary: fully analysed alone, so its calls are followed
            "middle.py": "import threading\nfrom work import book\n\n\ndef run(n):\n    book(n)\n",
            "runner.py": pool_runner("from middle import run", "run"),
            "unrelated.py": UNRELATED,
        },
        "work.py",
        {"work.py", "middle.py", "runner.py"},
    ),
    "a relative import": (
        {
            "pkg/__init__.py": "",
            "pkg/work.py": WORK_RACY,
            "pkg/runner.py": pool_runner("from .work import book", "book"),
            "unrelated.py": UNRELATED,
        },
        "pkg/work.py",
        {"pkg/__init__.py", "pkg/work.py", "pkg/runner.py"},
    ),
    "import pkg.mod": (
        {
            "pkg/__init__.py": "",
            "pkg/work.py": WORK_RACY,
            "runner.py": pool_runner("import pkg.work", "pkg.work.book"),
            "unrelated.py": UNRELATED,
        },
        "pkg/work.py",
        {"pkg/__init__.py", "pkg/work.py", "runner.py"},
    ),
    "an attribute chain through import pkg, and an alias": (
        {
            "pkg/__init__.py": "",
            "pkg/work.py": WORK_RACY,
            "runner.py": pool_runner("import pkg as p\n\ntasks = p.work", "tasks.book"),
            "unrelated.py": UNRELATED,
        },
        "pkg/work.py",
        {"pkg/__init__.py", "pkg/work.py", "runner.py"},
    ),
}


def _linter(root: Path, cache: bool) -> Linter:
    config = Config(select=["TS"], root=root)
    return Linter(config, cache=Cache(root) if cache else None, project_root=root)


def _all(root: Path) -> list[str]:
    return sorted(discover(["."], Config(root=root)))


def _of(found: list[Diagnostic], path: str) -> list[Diagnostic]:
    return [d for d in found if d.path == path]


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_each_file_named_alone_gets_the_whole_trees_findings(chdir: Path, name: str) -> None:
    texts, named, _ = PROJECTS[name]
    for path, text in texts.items():
        write(chdir / path, text)
    whole = _linter(chdir, cache=False).lint_paths(_all(chdir))
    assert {d.code for d in _of(whole, named)} == {"TS102", "TS103"}, whole
    assert _of(whole, "unrelated.py")  # its own findings: it is analysed in a whole run
    for path in _all(chdir):
        expected = _of(whole, path)
        assert _linter(chdir, cache=False).lint_paths([path]) == expected, (path, "no cache")
        shutil.rmtree(chdir / CACHE_DIR_NAME, ignore_errors=True)
        assert _linter(chdir, cache=True).lint_paths([path]) == expected, (path, "cold")
        assert _linter(chdir, cache=True).lint_paths([path]) == expected, (path, "warm")


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_only_the_connected_files_are_analysed(chdir: Path, name: str) -> None:
    texts, named, related = PROJECTS[name]
    for path, text in texts.items():
        write(chdir / path, text)
    files = _all(chdir)
    modules = {p: module_name(p) for p in files}
    sources: dict[str, bytes | None] = {p: Path(p).read_bytes() for p in files}
    assert set(related_files(files, [named], modules, sources)) == related
    # through the engine, with a cold cache: the unrelated file's result is never made
    _linter(chdir, cache=True).lint_paths([named])
    key = content_key(sources["unrelated.py"] or b"", "unrelated")
    assert Cache(chdir).get(key, is_result_json) is None
    _linter(chdir, cache=True).lint_paths(["unrelated.py"])
    assert Cache(chdir).get(key, is_result_json) is not None  # the check can fail


def test_a_change_that_connects_a_file_is_seen_with_a_warm_cache(chdir: Path) -> None:
    """The remembered component is keyed by every file's content: a new import in a
    file that was unrelated brings its facts in."""
    write(chdir / "work.py", WORK_RACY)
    write(chdir / "runner.py", "def main():\n    pass\n")
    assert _linter(chdir, cache=True).lint_paths(["work.py"]) == []
    write(chdir / "runner.py", pool_runner("from work import book", "book"))
    found = _linter(chdir, cache=True).lint_paths(["work.py"])
    assert {d.code for d in found} == {"TS102", "TS103"}
    write(chdir / "runner.py", "def main():\n    pass\n")
    assert _linter(chdir, cache=True).lint_paths(["work.py"]) == []


def test_a_file_too_costly_to_search_from_gets_the_whole_project(chdir: Path) -> None:
    files = {"a.py": "import b\n", "b.py": "x = 1\n", "c.py": "y = 2\n"}
    for path, text in files.items():
        write(chdir / path, text)
    names = sorted(files)
    modules = {p: module_name(p) for p in names}
    sources: dict[str, bytes | None] = {p: Path(p).read_bytes() for p in names}
    assert related_files(names, ["a.py"], modules, sources) == ["a.py", "b.py"]
    assert related_files(names, ["a.py"], modules, sources, budget=0.0, minimum=0) == names


def test_the_scan_names_every_module_a_name_can_resolve_to() -> None:
    source = b"""\
from . import sibling
from ..up import thing
import a.b.c as abc
import plain
alias = abc.d
def f():
    import late
    return alias.e.f, plain.sub.g
"""
    links = scan(source, "top.pkg.mod", False, None)
    assert links is not None
    names = links.names()
    expected = {
        "top.pkg.sibling",  # relative, level 1
        "top.up.thing",  # relative, level 2
        "a.b.c",  # import a.b.c as abc, and its prefixes
        "a.b.c.d.e.f",  # through the alias of an attribute of the import
        "plain.sub.g",  # an attribute chain through import plain
        "late",  # an import in a function
    }
    prefixes = {
        ".".join(n.split(".")[:cut]) for n in expected for cut in range(1, n.count(".") + 2)
    }
    assert names == prefixes
    assert scan(b"def (:\n", "m", False, None) is None  # not Python: no summary, no links


def test_chains_are_collected_only_when_a_package_is_imported() -> None:
    source = b"import plain\nplain.sub.g()\n"
    assert scan(source, "m", False, frozenset({"other"}))
    without = scan(source, "m", False, frozenset({"other"}))
    with_package = scan(source, "m", False, frozenset({"plain"}))
    assert without is not None and without.chains is None
    assert with_package is not None and with_package.chains == ("plain.sub", "plain.sub.g")


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("import os\nx = (pkg.  # a comment\n     # another\n     target)\n", "target"),
        ("import os\nx = pkg. \\\n    target\n", "target"),
        ("from pkg import (a,  # see f(x)\n    target)\n", "target"),
        ("from pkg import a, \\\n    b, target\n", "target"),
        ("import os\r\nx = (pkg.\r\n  target)\r\n", "target"),
        ("import os\rx = (pkg.\r  target)\r", "target"),
        # a fullwidth first letter: NFKC, as Python compares identifiers
        ("# -*- coding: utf-8 -*-\nimport \uff54arget\n", "target"),
    ],
)
def test_the_word_search_finds_every_place_a_module_can_be_named(text: str, word: str) -> None:
    found = linking_words(text.encode("utf-8"))
    assert found is not None and word in found


def test_the_word_search_skips_prose_and_files_without_imports() -> None:
    assert linking_words(b"x = 1  # target\n") == set()
    found = linking_words(b"import os\n'''target is a word here'''\n")
    assert found is not None and "target" not in found
    cookie = b"# coding: utf-7\nimport os\n"
    assert linking_words(cookie) == {"os"}  # decoded with its declared encoding


def test_the_word_search_reads_a_licence_banner_after_a_full_stop_in_one_pass() -> None:
    # A full stop followed by lines of '#' (waitress's Zope banner) made the after-a-dot
    # pattern try every way of splitting the '#' runs into comments: minutes per file.
    banner = "#" * 78 + "\n"
    text = "import os\n# Copyright (c) 2001 Zope Foundation.\n" + banner * 12 + '"""Doc."""\n'
    found = linking_words(text.encode("ascii"))
    assert found is not None and "os" in found
    chained = "import os\nx = (pkg.\n" + banner * 3 + "    target)\n"
    found = linking_words(chained.encode("ascii"))
    assert found is not None and "target" in found
