"""The per-file pipeline: check, parse, analyse, run every rule, summarise one file.

This is the unit of work of phase 1 (and of phase 2's re-analyses with a project
context), run in worker processes and cached by content. Its findings cover every rule;
which of them the user sees (select, ignore, per-file ignores) is decided later, so the
cache does not depend on the configuration. Never raises for any input: unreadable or
unparsable files become one TS001, an exception in the analysis or a rule a TS002.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections.abc import Iterator

import libcst as cst

from tsafe_lint.analysis import ModuleAnalysis
from tsafe_lint.analysis.module import walk_module
from tsafe_lint.analysis.tree import Span, deeper_stack, forget_children
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.module_names import is_package, module_name
from tsafe_lint.project.flag_copies import flag_copies
from tsafe_lint.project.summarize import plan_summary, summarize_syntax_only
from tsafe_lint.project_context import EMPTY_CONTEXT, ProjectContext
from tsafe_lint.results import FileResult, engine_diagnostic
from tsafe_lint.rules import ALL_RULES, Finding, Rule
from tsafe_lint.source import ParseFailure, check_syntax, parse_source
from tsafe_lint.suppression import is_suppressed

#: Files that mention none of these cannot start threads or take locks themselves; they
#: are only syntax-checked, and fully analysed when another module hands them a thread
#: entry point or a lock (phase 2). Locks known by use (``usage.py``) need the method
#: calls too: a lock passed in as a parameter shows only as ``x.acquire()``; a ``# tsafe:``
#: marker is evidence. Words in prose (docs, strings) do not count: ``pydoc_data/topics.py``
#: says "acquire" and "Lock" and is the largest file of the standard library.
VOCABULARY = re.compile(
    rb"\b(?:threading|_thread|concurrent|multiprocessing|to_thread|run_in_executor"
    rb"|ThreadPool\w*|start_new_thread|QThread)\b"
    rb"|\.(?:acquire|notify(?:_all|All)?)\s*\("  # a lock or condition known by its use
    rb"|\.task_done\s*\("  # a queue consumer another thread joins (TS410)
    rb"|\b(?:R?Lock|Condition|(?:Bounded)?Semaphore)\s*\("  # ... or by its factory's name
    rb"|#\s*tsafe:"  # a marker (``analysis/evidence.py``)
    # entry points other code runs on its threads (``analysis/entry_points.py``)
    rb"|\b(?:socketserver|Threading\w*Server|ThreadingMixIn|add_done_callback)\b"
    rb"|\bweakref\.finalize\b|\bfrom\s+weakref\s+import\b[^\n]*\bfinalize\b"
    # callbacks the interpreter runs inside any code of a thread (``finalizers.py``);
    # not ``def __del__``: a third more of the standard library analysed (63k -> 85k lines)
    # for a finalizer that could only reach another module's lock (one of its own matches)
    rb"|\bcallbacks\s*\.\s*(?:append|insert)\b"
    rb"|\bsignal\.signal\s*\(|\bweakref\.(?:ref|proxy|WeakMethod)\s*\("
    # web views and WSGI applications, run per request on a server's threads
    rb"|\.(?:route|get|post|put|delete|patch|api_route)\(\s*['\"]/"
    rb"|\bstart_response\b"
)
#: A word of each alternative of ``VOCABULARY``: a file with none of them cannot match,
#: and ``in`` finds that faster than the pattern (most files of a tree have none).
VOCABULARY_WORDS = (
    b"thread",
    b"Thread",
    b"concurrent",
    b"multiprocessing",
    b"run_in_executor",
    b"acquire",
    b"notify",
    b"task_done",
    b"Lock",
    b"Condition",
    b"Semaphore",
    b"tsafe:",
    b"callbacks",
    b"signal",
    b"weakref",
    b"'/",
    b'"/',
    b"start_response",
)
#: With the ``docstring`` evidence on, a docstring that says "thread-safe" counts too.
DOCSTRING_VOCABULARY = re.compile(rb"\b[Tt]hread[- ]?safe")


TOO_DEEP = "could not parse: code is nested too deeply to analyse"


#: The last files parsed in this process: a file the project join gives a context is
#: analysed a second time right after its first, context-free analysis (the edited file
#: of a warm run, in the main process); its tree is the same, so it is parsed once.
_parse = functools.lru_cache(maxsize=2)(parse_source)
#: ... and its walk, which the context changes only through the lock kinds it imports:
#: a context that says only which functions run on threads starts from the same walk.
_walk = functools.lru_cache(maxsize=2)(walk_module)


def _defines(source: bytes, option: str) -> bool:
    """Does ``source`` define the class or function an option (``shared=pkg.mod.Cache``)
    names?"""
    last = option.partition("=")[2].rpartition(".")[2].encode()
    return re.search(rb"\b(?:class|def)\s+" + re.escape(last) + rb"\b", source) is not None


def _may_matter(source: bytes, evidence: frozenset[str]) -> bool:
    """Can this file start threads or take locks itself (worth a full analysis)?"""
    if any(word in source for word in VOCABULARY_WORDS) and VOCABULARY.search(source):
        return True
    if any(_defines(source, option) for option in evidence if "=" in option):
        return True  # a class or function the configuration lists (shared, single-thread)
    return "docstring" in evidence and DOCSTRING_VOCABULARY.search(source) is not None


def analyse_source(
    source: bytes | str,
    path: str,
    module: str,
    context: ProjectContext = EMPTY_CONTEXT,
    prefilter: bool = False,
    rules: list[type[Rule]] | None = None,
    noqa: bool = True,
    evidence: frozenset[str] = frozenset(),
) -> FileResult:
    """Every finding of every rule and the summary of one file; ``noqa``: with the
    findings that ``# noqa`` comments silence left out (the engine passes False and
    applies them after the cache, so that flake8 can leave them to flake8)."""
    with deeper_stack(), _paused_collector():
        return _analyse(source, path, module, context, prefilter, rules, noqa, evidence)


@contextlib.contextmanager
def _paused_collector() -> Iterator[None]:
    """No cyclic garbage collection while one file is analysed: its trees are millions of
    young objects that live until the file is done, and the collector would walk them
    again and again (about a tenth of the analysis time on the standard library). What
    the file leaves behind is collected after it, as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _analyse(
    source: bytes | str,
    path: str,
    module: str,
    context: ProjectContext,
    prefilter: bool,
    rules: list[type[Rule]] | None,
    noqa: bool,
    evidence: frozenset[str],
) -> FileResult:
    if (
        prefilter
        and not context
        and isinstance(source, bytes)
        and not _may_matter(source, evidence)
    ):
        checked = check_syntax(source)
        if isinstance(checked, ParseFailure):
            return FileResult(path, [_parse_failure(path, checked)])
        return FileResult(path, [], summarize_syntax_only(path, module, is_package(path), checked))
    forget_children()  # the last module's nodes: this one has others
    parsed = _parse(source)
    if isinstance(parsed, ParseFailure):
        return FileResult(path, [_parse_failure(path, parsed)])
    try:
        name = module or module_name(path)
        walked = _walk(
            parsed.module,
            name,
            is_package(path),
            context.imported_kinds,
            context.made_kinds,
            context.inherited_kinds,
        )
        analysis = ModuleAnalysis(parsed.module, path, context, name, evidence, walked)
    except RecursionError:
        message = TOO_DEEP
        return FileResult(path, [engine_diagnostic("TS001", path, 1, 1, message)])
    except Exception as exc:
        message = f"internal error in the analysis: {exc!r}"
        return FileResult(path, [engine_diagnostic("TS002", path, 1, 1, message)])
    diagnostics, reported = _run_rules(analysis, path, rules if rules is not None else ALL_RULES)
    try:
        summary_nodes, finish_summary = plan_summary(analysis)
    except Exception as exc:
        summary_nodes, finish_summary = [], None
        message = f"internal error while summarising for the project analysis: {exc!r}"
        diagnostics.append(engine_diagnostic("TS002", path, 1, 1, message))
    try:  # one code generation for every position the findings and the summary need
        spans = analysis.spans([*(finding.node for _, finding in reported), *summary_nodes])
    except RecursionError:
        message = TOO_DEEP
        return FileResult(path, [engine_diagnostic("TS001", path, 1, 1, message)])
    diagnostics += _locate(analysis, path, reported, spans)
    lines = parsed.lines
    kept = [
        d
        for d in diagnostics
        if not (noqa and 0 < d.line <= len(lines) and is_suppressed(d.code, lines[d.line - 1]))
    ]
    summary = finish_summary(spans) if finish_summary is not None else None
    if summary is not None:
        summary.rebound_imports, summary.polled_globals = flag_copies(
            parsed.tree, name, is_package(path)
        )
    return FileResult(path, sorted(set(kept)), summary)


def _parse_failure(path: str, failure: ParseFailure) -> Diagnostic:
    return engine_diagnostic(
        "TS001", path, failure.line, failure.col, f"could not parse: {failure.reason}"
    )


def _run_rules(
    analysis: ModuleAnalysis, path: str, rules: list[type[Rule]]
) -> tuple[list[Diagnostic], list[tuple[type[Rule], Finding]]]:
    """Every rule's findings (not yet located), and TS002 for any rule that broke."""
    diagnostics: list[Diagnostic] = []
    reported: list[tuple[type[Rule], Finding]] = []
    for rule in rules:
        try:
            reported.extend((rule, finding) for finding in rule().check(analysis))
        except Exception as exc:
            message = f"internal error in rule {rule.code} ({rule.name}): {exc!r}"
            diagnostics.append(engine_diagnostic("TS002", path, 1, 1, message))
    return diagnostics, reported


def _locate(
    analysis: ModuleAnalysis,
    path: str,
    reported: list[tuple[type[Rule], Finding]],
    spans: dict[cst.CSTNode, Span],
) -> list[Diagnostic]:
    located = []
    for rule, finding in reported:
        span = spans.get(finding.node)
        if span is None:
            continue
        located.append(
            Diagnostic(
                path,
                span.line,
                span.col,
                rule.code,
                analysis.fill_lines(finding.message, spans),
                span.end_line,
                span.end_col,
                rule.name,
                finding.fix is not None,
            )
        )
    return located
