"""The language server: protocol handlers, debouncing, and one lint at a time.

Handlers run on pygls' event loop and only touch the server's state there. Linting runs
on one worker thread (so runs never overlap and the event loop stays responsive) on a
snapshot of the open documents; a change that arrives meanwhile schedules one more run.
Every open document is linted in each run, as one project with the rest of it coming
from the cache, so an edit to one module updates the findings of the others that depend
on it. An exception in a run is logged through the protocol; the server goes on.
"""

from __future__ import annotations

import asyncio
import os
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import PositionCodec

from tsafe_lint import __version__
from tsafe_lint.codes import ENGINE_CODES
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.server.actions import FIX_ALL, fix_actions, fix_all_action, noqa_actions
from tsafe_lint.server.convert import lsp_diagnostic
from tsafe_lint.server.project import Project

#: Seconds of quiet after a change before linting (``initializationOptions.debounce``).
DEBOUNCE = 0.25

Shown = tuple[Diagnostic, types.Diagnostic]


@dataclass(frozen=True)
class Snapshot:
    """An open document as it was when a run started."""

    uri: str
    version: int | None
    text: str


class TsafeLintServer(LanguageServer):
    """pygls' server with tsafe-lint's state: the project, what was published, the
    pending and running lints."""

    def __init__(self) -> None:
        super().__init__("tsafe-lint", __version__)
        self.project = Project.at(Path.cwd())
        self.debounce = DEBOUNCE
        self.warm = True
        self.warming = False  # no lint while the warm-up analyses the project
        self.shown: dict[str, list[Shown]] = {}
        self._pending: asyncio.TimerHandle | None = None
        self._busy = False
        self._again = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tsafe-lint")

    # -- logging -----------------------------------------------------------------------
    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    # -- scheduling --------------------------------------------------------------------
    def request_lint(self, delay: float) -> None:
        """Lint the open documents after ``delay`` seconds without another request."""
        if self._pending is not None:
            self._pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending = loop.call_later(delay, lambda: loop.create_task(self._lint()))

    async def _lint(self) -> None:
        self._pending = None
        if self.warming:
            return  # the warm-up lints the open documents when it is done
        if self._busy:
            self._again = True
            return
        self._busy = True
        try:
            again = True
            while again:
                self._again = False
                await self._lint_once()
                again = self._again
        finally:
            self._busy = False

    async def _lint_once(self) -> None:
        snapshots = self._snapshots()
        codec = self.workspace.position_codec
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(
                self._worker, _lint_snapshots, self.project, snapshots, codec
            )
        except Exception:
            self.log("tsafe-lint: internal error\n" + traceback.format_exc(), _ERROR)
            return
        for snapshot in snapshots.values():
            if snapshot.uri not in self.workspace.text_documents:
                continue  # closed meanwhile
            shown = results.get(snapshot.uri, [])
            self.shown[snapshot.uri] = shown
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=snapshot.uri,
                    version=snapshot.version,
                    diagnostics=[lsp for _, lsp in shown],
                )
            )

    def _snapshots(self) -> dict[str, Snapshot]:
        found = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path is not None and uri.startswith("file:"):
                found[path] = Snapshot(uri, document.version, document.source)
        return found

    # -- lookups -----------------------------------------------------------------------
    def findings_in(self, uri: str, wanted: types.Range) -> list[Shown]:
        """Published findings of ``uri`` whose range meets ``wanted``."""
        return [
            (finding, lsp) for finding, lsp in self.shown.get(uri, []) if _meets(lsp.range, wanted)
        ]


_ERROR = types.MessageType.Error


def _lint_snapshots(
    project: Project, snapshots: dict[str, Snapshot], codec: PositionCodec
) -> dict[str, list[Shown]]:
    """Worker thread: lint the snapshots as one project; LSP diagnostics per URI."""
    found = project.lint({path: s.text.encode("utf-8") for path, s in snapshots.items()})
    results = {}
    root = str(project.config.root)
    for path, snapshot in snapshots.items():
        lines = snapshot.text.splitlines(keepends=True)
        results[snapshot.uri] = [(d, lsp_diagnostic(d, lines, codec, root)) for d in found[path]]
    return results


def _meets(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _explanation(code: str) -> str:
    from tsafe_lint.rules import RULES_BY_CODE

    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return f"**{code}** {ENGINE_CODES.get(code, '')}"
    return f"**{rule.code}** `{rule.name}`: {rule.summary}\n\n{rule.documentation()}"


def create_server() -> TsafeLintServer:
    """The server with every handler registered."""
    server = TsafeLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: TsafeLintServer, params: types.InitializeParams) -> None:
        root = _root_of(params)
        if root is not None:
            ls.project = Project.at(root)
        options: Any = params.initialization_options
        if isinstance(options, dict):
            if isinstance(options.get("debounce"), (int, float)):
                ls.debounce = max(0.0, float(options["debounce"]))
            if options.get("warmUp") is False:
                ls.warm = False

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TsafeLintServer, params: types.InitializedParams) -> None:
        if ls.project.config_problem:
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"tsafe-lint: {ls.project.config_problem} (using the defaults)",
                )
            )
        if not ls.warm:
            return
        loop = asyncio.get_running_loop()
        ls.log(f"tsafe-lint: analysing the project in {ls.project.root}")
        ls.warming = True
        try:
            problem = await loop.run_in_executor(None, ls.project.warm_up)
        finally:
            ls.warming = False
        if problem:
            ls.log(f"tsafe-lint: {problem}", types.MessageType.Warning)
        else:
            ls.log("tsafe-lint: project analysed")
        ls.request_lint(0)  # the open documents now see the whole project

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TsafeLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.request_lint(0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TsafeLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.request_lint(ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TsafeLintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.request_lint(0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TsafeLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.shown.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
        ls.request_lint(0)  # the others lose what the closed buffer told them

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: TsafeLintServer, params: types.HoverParams) -> types.Hover | None:
        here = types.Range(params.position, params.position)
        found = ls.findings_in(params.text_document.uri, here)
        if not found:
            return None
        codes = sorted({finding.code for finding, _ in found})
        text = "\n\n---\n\n".join(_explanation(code) for code in codes)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False
        ),
    )
    async def code_action(
        ls: TsafeLintServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        uri = params.text_document.uri
        path = to_fs_path(uri)
        if path is None or uri not in ls.workspace.text_documents:
            return []
        document = ls.workspace.get_text_document(uri)
        text, version = document.source, document.version
        only = params.context.only
        codec = ls.workspace.position_codec
        here = ls.findings_in(uri, params.range)
        everything = ls.shown.get(uri, [])

        def wanted(kind: str) -> bool:
            return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)

        def compute() -> list[types.CodeAction]:
            actions: list[types.CodeAction] = []
            if wanted(types.CodeActionKind.QuickFix.value):
                actions += fix_actions(uri, version, text, path, here, codec)
                actions += noqa_actions(uri, version, text, here, codec)
            if wanted(FIX_ALL) and any(finding.fixable for finding, _ in everything):
                action = fix_all_action(uri, version, text, path, ls.project.config, codec)
                if action is not None:
                    actions.append(action)
            return actions

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(ls._worker, compute)
        except Exception:
            ls.log("tsafe-lint: internal error in a code action\n" + traceback.format_exc(), _ERROR)
            return []

    return server


def _root_of(params: types.InitializeParams) -> Path | None:
    folders = params.workspace_folders or []
    for uri in [f.uri for f in folders] + [params.root_uri or ""]:
        path = to_fs_path(uri) if uri else None
        if path:
            return Path(path)
    if params.root_path:
        return Path(params.root_path)
    return Path(os.getcwd())
