"""Which files of the project a run on named files analyses: the named files' part of the
import graph (``project/related.py``), with each file's scan cached by content.

``tsafe-lint work.py`` needs the facts of every file connected to ``work.py`` by imports
and of no other file; finding them costs a word search of every file and an ``ast``
scan of the few that can name a module already found, so one named file with a cold
cache costs about its part of the project, not the whole project.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tsafe_lint.cache import Cache, context_key
from tsafe_lint.module_names import is_package
from tsafe_lint.project.links import Links, imports_package, is_scan_json, scan
from tsafe_lint.project.related import related_files


def is_files_json(data: object) -> bool:
    """The shape of a cached component: ``{"files": [path, ...]}``."""
    return (
        isinstance(data, dict)
        and set(data) == {"files"}
        and isinstance(data["files"], list)
        and all(isinstance(p, str) for p in data["files"])
    )


def analysed_files(
    files: Sequence[str],
    named: Sequence[str],
    modules: Mapping[str, str],
    sources: Mapping[str, bytes | None],
    content_keys: Mapping[str, str],
    cache: Cache | None,
) -> list[str]:
    """The files to analyse for ``named``: their component (``related_files``). Each
    file's links are cached under its content key (the scan reads no configuration)."""

    def links_of(path: str, packages: frozenset[str]) -> Links | None:
        source = sources[path]
        assert source is not None
        key = context_key(content_keys[path], {"links": 1}) if content_keys.get(path) else ""
        if cache is not None and key:
            data = cache.get(key, is_scan_json)
            if data is not None:
                cached = Links.from_json(data["links"]) if data["links"] else None
                if cached is None or cached.chains is not None:
                    return cached
                if not imports_package(cached.targets, packages):
                    return cached  # no chain of it can name a module
        found = scan(source, modules[path], is_package(path), packages)
        if cache is not None and key:
            cache.put(key, {"links": found.as_json() if found is not None else None})
        return found

    return related_files(files, named, modules, sources, links_of)


__all__ = ["analysed_files", "is_files_json"]
