"""Latency of ``tsafe-lint server`` from an edit to updated diagnostics.

Runs the real server over stdio (pygls' own language client) on a copy of the running
interpreter's standard library as the workspace, waits until the server has analysed
the project, then edits an open document again and again (a new line at the top, never
saved) and times each ``didChange`` until the ``publishDiagnostics`` of that version.
Files: the stdlib file of median size, and ``threading.py``. The debounce is set to 0
so the figure is the server's own work; an editor adds the debounce (0.25 s by default)
on top. Run:

    python bench/lsp_latency.py [--edits 15] [--write]

``--write`` saves the table to bench/results/lsp_latency.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import copy_stdlib, python_files  # noqa: E402


class Client(LanguageClient):
    """Records when each document version's diagnostics arrive."""

    def __init__(self) -> None:
        super().__init__("tsafe-lint-bench", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.analysed = asyncio.Event()
        self.new = asyncio.Event()


def make_client() -> Client:
    client = Client()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(ls: Client, params: types.PublishDiagnosticsParams) -> None:
        ls.arrived[(params.uri, params.version)] = time.perf_counter()
        ls.new.set()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def log(ls: Client, params: types.LogMessageParams) -> None:
        if "project analysed" in params.message or "analysing the project failed" in params.message:
            ls.analysed.set()

    return client


async def wait_for(client: Client, key: tuple[str, int | None], timeout: float = 120) -> float:
    deadline = time.perf_counter() + timeout
    while key not in client.arrived:
        client.new.clear()
        if key in client.arrived:
            break
        await asyncio.wait_for(client.new.wait(), max(0.0, deadline - time.perf_counter()))
    return client.arrived[key]


async def measure_file(client: Client, path: Path, edits: int) -> list[float]:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text))
    )
    await wait_for(client, (uri, 1))
    times = []
    for version in range(2, edits + 2):
        text = f"_bench_edit_{version} = {version}\n" + text
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        times.append(await wait_for(client, (uri, version)) - sent)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    return times


async def run(root: Path, files: list[Path], edits: int) -> tuple[float, dict[Path, list[float]]]:
    client = make_client()
    await client.start_io(sys.executable, "-m", "tsafe_lint", "server", cwd=str(root))
    started = time.perf_counter()
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            initialization_options={"debounce": 0},
        )
    )
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(client.analysed.wait(), 1800)
    warm_up = time.perf_counter() - started
    results = {path: await measure_file(client, path, edits) for path in files}
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return warm_up, results


def median_file(root: Path) -> Path:
    sized = sorted((p.stat().st_size, str(p)) for p in python_files(root))
    return Path(sized[len(sized) // 2][1])


def render(root: Path, warm_up: float, results: dict[Path, list[float]]) -> str:
    lines = [
        "# Language server: edit -> updated diagnostics",
        "",
        f"Measured {datetime.date.today()} on {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}, {os.cpu_count()} CPUs, with "
        "`python bench/lsp_latency.py --write`. Workspace: a copy of the standard library "
        f"({len(python_files(root))} files). Debounce 0 (editors add 0.25 s by default).",
        "",
        f"Project warm-up (initialise to 'project analysed', cold cache): {warm_up:.1f} s",
        "",
        "| file | lines | edits | median | p90 | max |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for path, times in results.items():
        ordered = sorted(times)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        count = len(path.read_text(encoding="utf-8").splitlines())
        lines.append(
            f"| {path.relative_to(root).as_posix()} | {count} | {len(times)} | "
            f"{statistics.median(times) * 1000:.0f} ms | {p90 * 1000:.0f} ms | "
            f"{max(times) * 1000:.0f} ms |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = copy_stdlib(Path(scratch) / "stdlib")
        files = [median_file(root), root / "threading.py"]
        warm_up, results = asyncio.run(run(root, files, options.edits))
        report = render(root, warm_up, results)
    print(report, end="")
    if options.write:
        (HERE / "results" / "lsp_latency.md").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
