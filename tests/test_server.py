"""``tsafe-lint server`` end to end: the real server in a subprocess, driven over stdio
by pytest-lsp's language client (built on pygls), as an editor would drive it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")  # Python >= 3.10, the test extra

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from tests.samples import BAD, write  # noqa: E402

TASKS = """\
counter = 0


def process(item):
    global counter
    counter += 1
"""

MAIN = """\
from concurrent.futures import ThreadPoolExecutor

import tasks


def run(items):
    with ThreadPoolExecutor() as pool:
        return list(pool.map(len, items))
"""

MAIN_THREADED = MAIN.replace("pool.map(len, items)", "pool.map(tasks.process, items)")

Diagnostics = Sequence[types.Diagnostic]


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "tsafe_lint", "server"])
)
async def client(lsp_client: LanguageClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    write(tmp_path / "app.py", BAD)
    write(tmp_path / "tasks.py", TASKS)
    write(tmp_path / "main.py", MAIN)
    # a module that is never opened, whose thread pool runs a function of jobs.py
    write(tmp_path / "jobs.py", TASKS)
    write(tmp_path / "runner.py", MAIN_THREADED.replace("tasks", "jobs"))
    write(tmp_path / "ignored.py", BAD)
    write(
        tmp_path / "pyproject.toml",
        '[tool.tsafe-lint]\nper-file-ignores = { "ignored.py" = ["TS201"] }\n',
    )
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=tmp_path.as_uri(),
            initialization_options={"debounce": 0.05},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def published(
    client: LanguageClient,
    uri: str,
    predicate: Callable[[Diagnostics], bool],
    timeout: float = 60.0,
) -> Diagnostics:
    """The diagnostics of ``uri`` once they satisfy ``predicate``."""

    async def poll() -> Diagnostics:
        while True:
            current = client.diagnostics.get(uri)
            if current is not None and predicate(current):
                return current
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), timeout)


def open_document(client: LanguageClient, path: Path, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, "python", version, path.read_text())
        )
    )
    return uri


def change_document(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def apply_edit(text: str, edit: types.WorkspaceEdit) -> str:
    """What an editor does with a code action's edit (one document, one or more edits)."""
    [change] = edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    edits = sorted(change.edits, key=lambda e: offset(e.range.start), reverse=True)
    for e in edits:
        assert isinstance(e, types.TextEdit)
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


async def code_actions(
    client: LanguageClient, uri: str, where: types.Range, only: list[str] | None = None
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=where,
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


@pytest.mark.asyncio
async def test_diagnostic_quick_fix_and_cleared_diagnostics(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_document(client, tmp_path / "app.py")
    [diagnostic] = await published(client, uri, lambda found: len(found) > 0)
    assert diagnostic.code == "TS201"
    assert diagnostic.source == "tsafe-lint"
    assert diagnostic.range.start == types.Position(3, 4)
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("/docs/rules/TS201.md")

    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(3, 6))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "acquire-without-try-finally" in hover.contents.value
    assert "What it does" in hover.contents.value

    actions = await code_actions(client, uri, diagnostic.range)
    titles = [a.title for a in actions]
    # TS201's fix is unsafe: offered by hand, marked, never preferred (as in ruff's editors)
    assert "Fix TS201 (acquire-without-try-finally) (unsafe)" in titles
    assert "Silence TS201 on this line (# noqa: TS201)" in titles
    [fix] = [a for a in actions if a.title.startswith("Fix TS201")]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.edit is not None
    assert not fix.is_preferred
    fixed = apply_edit(BAD, fix.edit)
    assert "with lock:" in fixed and "acquire()" not in fixed

    change_document(client, uri, 2, fixed)
    assert list(await published(client, uri, lambda found: len(found) == 0)) == []


@pytest.mark.asyncio
async def test_fix_all_and_noqa_actions(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_document(client, tmp_path / "app.py")
    [diagnostic] = await published(client, uri, lambda found: len(found) > 0)
    whole = types.Range(types.Position(0, 0), types.Position(0, 0))
    # fix-all (run on save) applies safe fixes only, and TS201's is unsafe
    assert await code_actions(client, uri, whole, ["source.fixAll"]) == []

    actions = await code_actions(client, uri, diagnostic.range, ["quickfix"])
    [silence] = [a for a in actions if a.title.startswith("Silence")]
    assert silence.edit is not None
    silenced = apply_edit(BAD, silence.edit)
    assert "    lock.acquire()  # noqa: TS201\n" in silenced
    change_document(client, uri, 2, silenced)
    assert list(await published(client, uri, lambda found: len(found) == 0)) == []


@pytest.mark.asyncio
async def test_editing_one_module_updates_the_findings_of_another(
    client: LanguageClient, tmp_path: Path
) -> None:
    tasks = open_document(client, tmp_path / "tasks.py")
    main = open_document(client, tmp_path / "main.py")
    await published(client, main, lambda found: True)
    assert list(await published(client, tasks, lambda found: True)) == []

    change_document(client, main, 2, MAIN_THREADED)  # unsaved: only in the editor
    [finding] = await published(client, tasks, lambda found: len(found) > 0)
    assert finding.code == "TS102"
    assert finding.range.start.line == 5
    assert finding.related_information is not None
    [related] = finding.related_information
    assert related.location.uri == (tmp_path / "main.py").as_uri()
    assert related.location.range.start.line == 7
    assert related.message == "mapped over a thread pool"
    assert (tmp_path / "main.py").read_text() == MAIN  # nothing was written

    change_document(client, main, 3, MAIN)  # and back
    assert list(await published(client, tasks, lambda found: len(found) == 0)) == []


@pytest.mark.asyncio
async def test_a_file_that_does_not_parse_gets_ts001_and_the_server_goes_on(
    client: LanguageClient, tmp_path: Path
) -> None:
    write(tmp_path / "broken.py", "def f(:\n    pass\n")
    broken = open_document(client, tmp_path / "broken.py")
    [diagnostic] = await published(client, broken, lambda found: len(found) > 0)
    assert diagnostic.code == "TS001"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.range.start.line == 0
    uri = open_document(client, tmp_path / "app.py")
    [other] = await published(client, uri, lambda found: len(found) > 0)
    assert other.code == "TS201"
    change_document(client, broken, 2, "def f():\n    pass\n")
    assert list(await published(client, broken, lambda found: len(found) == 0)) == []


@pytest.mark.asyncio
async def test_configuration_and_noqa_apply(client: LanguageClient, tmp_path: Path) -> None:
    ignored = open_document(client, tmp_path / "ignored.py")
    uri = open_document(client, tmp_path / "app.py")
    await published(client, uri, lambda found: len(found) > 0)
    assert list(await published(client, ignored, lambda found: True)) == []
    change_document(client, uri, 2, BAD.replace("lock.acquire()", "lock.acquire()  # noqa"))
    assert list(await published(client, uri, lambda found: len(found) == 0)) == []


@pytest.mark.asyncio
async def test_facts_of_modules_that_are_not_open_come_from_the_project(
    client: LanguageClient, tmp_path: Path
) -> None:
    jobs = open_document(client, tmp_path / "jobs.py")
    # after the warm-up analysed the project, runner.py's thread pool is known
    [finding] = await published(client, jobs, lambda found: len(found) > 0)
    assert finding.code == "TS102"
    assert "runner.py:8" in finding.message


def test_server_help_and_a_directory_named_server(in_tmp: Path) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "tsafe_lint", "server", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "language server" in done.stdout
    write(in_tmp / "server" / "app.py", BAD)
    linted = subprocess.run(
        [sys.executable, "-m", "tsafe_lint", "./server"], capture_output=True, text=True
    )
    assert linted.returncode == 1 and "TS201" in linted.stdout
