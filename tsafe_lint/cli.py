"""The ``tsafe-lint`` command: options -> configuration -> engine -> reporter.

Exit status: 0 no findings, 1 findings, 2 usage or configuration error, 3 internal error
(tsafe-lint itself failed: an exception escaped, or a TS002 was reported), so that CI can
tell "the code has findings" from "the linter broke".
"""

from __future__ import annotations

import functools
import os
import stat
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tsafe_lint import __version__
from tsafe_lint.baseline import Baseline, write_baseline
from tsafe_lint.cache import Cache
from tsafe_lint.codes import ENGINE_CODES
from tsafe_lint.config import Config, ConfigError, load_config, validate_codes
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.discovery import discover
from tsafe_lint.engine import Linter
from tsafe_lint.formats import FORMATS, render, render_statistics
from tsafe_lint.formats.terminal import render_human, summary, use_colour
from tsafe_lint.project_files import project_root
from tsafe_lint.reading import FileTooLarge, read_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

#: Findings that mean tsafe-lint itself failed on a file, not that the file has a smell.
INTERNAL_ERROR_CODES = frozenset({"TS002"})


def _codes(values: tuple[str, ...], option: str) -> list[str]:
    return validate_codes((c for value in values for c in value.split(",")), option)


def _crash_exits_3(command: Callable[..., None]) -> Callable[..., None]:
    """An exception escaping the command is a crash: print it, exit with its own status."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click's own ways out, and a closed pipe, are not crashes
        except Exception:
            click.echo(traceback.format_exc(), err=True, nl=False)
            click.echo(
                f"tsafe-lint: internal error (exit status {EXIT_INTERNAL}); please report it "
                "with the traceback above",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return run


def _exit_status(diagnostics: list[Diagnostic], exit_zero: bool) -> int:
    """3 when a TS002 was reported (even with ``--exit-zero``: it is not a finding about
    the code), else 1 for findings, unless ``--exit-zero``."""
    if any(d.code in INTERNAL_ERROR_CODES for d in diagnostics):
        return EXIT_INTERNAL
    return EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_CLEAN


def _list_rules() -> str:
    from tsafe_lint.rules import ALL_RULES

    lines = [f"{'code':<6} {'name':<30} {'default':<7} summary"]
    for code, text in ENGINE_CODES.items():
        lines.append(f"{code:<6} {'(engine)':<30} {'on':<7} {text}")
    for rule in ALL_RULES:
        default = "on" if rule.default_enabled else "off"
        lines.append(f"{rule.code:<6} {rule.name:<30} {default:<7} {rule.summary}")
    return "\n".join(lines) + "\n"


def _explain(code: str) -> str:
    from tsafe_lint.rules import RULES_BY_CODE

    code = code.upper()
    rule = RULES_BY_CODE.get(code)
    if rule is not None:
        header = f"{rule.code} {rule.name}\n\n{rule.summary}\n\n"
        return header + rule.documentation() + "\n"
    if code in ENGINE_CODES:
        return f"{code}\n\n{ENGINE_CODES[code]}\n"
    raise ConfigError(f"--explain: unknown rule code '{code}'")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Codes or prefixes to enable (e.g. TS2,TS301).")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Glob patterns of paths to skip (adds to config).")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to files named explicitly too.")
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the findings to this file instead of standard output.",
)
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="Name to report (and configure) source read from standard input ('-').",
)
@click.option("--show-source", is_flag=True, help="Show the offending line under each finding.")
@click.option(
    "--color",
    "colour_mode",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: only on a terminal, and not with NO_COLOR set).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for the per-file phase (default: the number of CPUs).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write .tsafe_lint_cache/ in the project root.",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place, report what is left.")
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing (exit 1 if any)."
)
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that may change behaviour.")
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report only findings not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the current findings in this baseline file, then exit 0.",
)
@click.option("--add-noqa", is_flag=True, help="Add '# noqa: CODE' to the line of every finding.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print a count per code after the findings.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file (default: nearest pyproject.toml with [tool.tsafe-lint]).",
)
@click.version_option(__version__, "--version", prog_name="tsafe-lint")
@_crash_exits_3
def cli(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    force_exclude: bool,
    output_format: str,
    output_file: Path | None,
    stdin_filename: str | None,
    show_source: bool,
    colour_mode: str,
    jobs: int | None,
    no_cache: bool,
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
    baseline_file: Path | None,
    write_baseline: Path | None,
    add_noqa: bool,
    exit_zero: bool,
    statistics: bool,
    list_rules: bool,
    explain: str | None,
    config_file: Path | None,
) -> None:
    """Find thread-safety smells in Python code. PATHS default to the current directory;
    '-' reads standard input."""
    try:
        if list_rules:
            click.echo(_list_rules(), nl=False)
            return
        if explain:
            click.echo(_explain(explain), nl=False)
            return
        config = _configure(config_file, select, ignore, exclude)
        from_stdin = "-" in paths
        if from_stdin and len(paths) > 1:
            raise ConfigError("'-' (standard input) cannot be combined with other paths")
        if stdin_filename is not None and not from_stdin:
            raise ConfigError(
                "--stdin-filename names the source read from standard input: give '-' as "
                "the path too"
            )
        if from_stdin and add_noqa:
            raise ConfigError("--add-noqa writes files: it cannot read standard input")
        baseline = _baseline(baseline_file or config.baseline, write_baseline)
        files = (
            []
            if from_stdin
            else list(discover(paths or (".",), config, force_exclude=force_exclude))
        )
    except ConfigError as exc:
        click.echo(f"tsafe-lint: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    # Standard input without a name has no project; with one, it is that file's text.
    in_project = not from_stdin or stdin_filename is not None
    cache = Cache(config.root) if in_project and not no_cache else None
    named = [stdin_filename] if from_stdin and stdin_filename is not None else list(paths or (".",))
    root = project_root(config, named)
    linter = Linter(config, jobs=jobs or os.cpu_count() or 1, cache=cache, project_root=root)
    sources: dict[str, bytes] = {}
    if from_stdin:
        name = stdin_filename or "-"
        source = sys.stdin.buffer.read()
        sources[name] = source
        linter.unsaved = {name: source}
        skipped = force_exclude and stdin_filename is not None and config.is_excluded(name)
        if skipped:
            diagnostics = []
        elif in_project:
            diagnostics = linter.lint_paths([name])
        else:
            diagnostics = linter.lint_source(source, name)
    else:
        diagnostics = linter.lint_paths(files, progress=_progress())
    # Files that were not read (not regular, over max-file-size) are not read for the
    # fingerprints of the baseline and SARIF either: as an unreadable file, they are empty.
    sources = {**_unread(diagnostics, config.max_file_size), **sources}
    if write_baseline is not None:
        _write_baseline(write_baseline, diagnostics, config, sources)
    if baseline is not None:
        diagnostics = baseline.new_findings(diagnostics, config.root, sources)
    if add_noqa:
        _add_noqa(diagnostics)
    if diff or fix:
        from tsafe_lint.fixes import fix_file, fix_source, unified_diff  # loads LibCST

        def accepts(path: str) -> Callable[[str], bool]:
            return lambda code: config.is_enabled(code, config.ignores_for(path))

        candidates = sorted({d.path for d in diagnostics if d.fixable})
        unsafe_left = 0
        if diff:
            changed = False
            for path in candidates:
                try:
                    original = sources[path] if path in sources else read_source(path)
                except OSError as exc:
                    click.echo(f"{path}: not fixed: cannot read it ({exc.strerror})", err=True)
                    continue
                outcome = fix_source(original, path, accepts(path), unsafe_fixes)
                unsafe_left += outcome.unsafe_left
                if outcome.problem:
                    click.echo(f"{path}: {outcome.problem}", err=True)
                elif outcome.fixed is not None:
                    click.echo(unified_diff(path, original, outcome.fixed), nl=False)
                    changed = True
            _hint_unsafe_fixes(unsafe_left)
            sys.exit(EXIT_FINDINGS if changed else EXIT_CLEAN)
        if from_stdin:
            outcome = fix_source(sources[name], name, accepts(name), unsafe_fixes)
            sys.stdout.buffer.write(outcome.fixed or sources[name])
            sys.exit(EXIT_CLEAN)
        applied, touched = 0, 0
        for path in candidates:
            outcome = fix_file(path, accepts(path), unsafe_fixes)
            unsafe_left += outcome.unsafe_left
            if outcome.problem:
                click.echo(f"{path}: {outcome.problem}", err=True)
            elif outcome.fixed is not None:
                applied, touched = applied + outcome.applied, touched + 1
        if applied:
            diagnostics = linter.lint_paths(files)
            if baseline is not None:
                diagnostics = baseline.new_findings(diagnostics, config.root)
            noun = "fix" if applied == 1 else "fixes"
            click.echo(f"Applied {applied} {noun} in {touched} file(s).", err=True)
        _hint_unsafe_fixes(unsafe_left)
    _report(diagnostics, output_format, output_file, show_source, colour_mode, sources, config)
    if statistics and output_format == "text":
        click.echo(render_statistics(diagnostics), nl=False)
    if output_format == "text" and sys.stderr.isatty():
        click.echo(summary(diagnostics), err=True)
    sys.exit(_exit_status(diagnostics, exit_zero))


def _unread(diagnostics: list[Diagnostic], limit: int) -> dict[str, bytes]:
    """An empty text for each file with a TS001 that is not a regular file or is over
    ``limit`` bytes: whatever needs its text later must not read it."""
    unread: dict[str, bytes] = {}
    for path in {d.path for d in diagnostics if d.code == "TS001"}:
        try:
            status = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            unread[path] = b""
    return unread


def _hint_unsafe_fixes(count: int) -> None:
    """Say that fixes were held back, as ruff does: they need ``--unsafe-fixes``."""
    if count:
        noun = "fix is" if count == 1 else "fixes are"
        click.echo(
            f"{count} more {noun} available with --unsafe-fixes: they may change what the "
            "program does (review them with --diff --unsafe-fixes).",
            err=True,
        )


def _baseline(path: Path | None, write_to: Path | None) -> Baseline | None:
    """The baseline to filter by (none while writing one: it records every finding)."""
    if path is None or write_to is not None:
        return None
    return Baseline.read(path)


def _write_baseline(
    path: Path, diagnostics: list[Diagnostic], config: Config, sources: dict[str, bytes]
) -> None:
    try:
        write_baseline(path, diagnostics, config.root, sources)
    except ConfigError as exc:
        click.echo(f"tsafe-lint: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    noun = "finding" if len(diagnostics) == 1 else "findings"
    click.echo(f"Recorded {len(diagnostics)} {noun} in the baseline {path}.", err=True)
    sys.exit(EXIT_CLEAN)


def _add_noqa(diagnostics: list[Diagnostic]) -> None:
    """Write ``# noqa: CODE`` for every finding a comment can silence, then exit 0."""
    from tsafe_lint.fixes import write_atomically
    from tsafe_lint.noqa_writer import add_noqa

    wanted: dict[str, dict[int, set[str]]] = {}
    for d in diagnostics:
        if d.code not in ENGINE_CODES:  # TS001/TS002 are not silenced by comments
            wanted.setdefault(d.path, {}).setdefault(d.line, set()).add(d.code)
    added, touched = 0, 0
    for path, codes_by_line in sorted(wanted.items()):
        try:
            original = Path(path).read_bytes()
        except OSError as exc:
            click.echo(f"{path}: not changed: cannot read it ({exc.strerror})", err=True)
            continue
        outcome = add_noqa(original, codes_by_line)
        for line in outcome.skipped:
            click.echo(f"{path}:{line}: no noqa added: a comment cannot end this line", err=True)
        problem = outcome.problem
        if outcome.fixed is not None:
            problem = write_atomically(path, original, outcome.fixed)
        if problem is not None:
            click.echo(f"{path}: {problem}", err=True)
        elif outcome.changed:
            added, touched = added + len(outcome.changed), touched + 1
    noun = "comment" if added == 1 else "comments"
    click.echo(f"Added {added} noqa {noun} in {touched} file(s).", err=True)
    sys.exit(EXIT_CLEAN)


def _progress() -> Callable[[int, int], None] | None:
    """A one-line counter on standard error for long runs at a terminal."""
    if not sys.stderr.isatty():
        return None

    def update(done: int, total: int) -> None:
        if total < 50:
            return
        click.echo(f"\r\033[Kchecked {done}/{total} files", err=True, nl=False)
        if done == total:
            click.echo("\r\033[K", err=True, nl=False)

    return update


def _report(
    diagnostics: list[Diagnostic],
    output_format: str,
    output_file: Path | None,
    show_source: bool,
    colour_mode: str,
    sources: dict[str, bytes],
    config: Config,
) -> None:
    if output_format == "text":
        to_terminal = output_file is None and sys.stdout.isatty()
        colour = output_file is None and use_colour(colour_mode, to_terminal)
        lines = _line_reader(sources, config.max_file_size)
        output = render_human(diagnostics, colour, show_source, lines)
    else:
        colour = False
        output = render(diagnostics, output_format, sources)
    if output_file is not None:
        try:
            output_file.write_text(output, encoding="utf-8")
        except OSError as exc:
            click.echo(f"tsafe-lint: error: cannot write {output_file}: {exc.strerror}", err=True)
            sys.exit(EXIT_USAGE)
    elif output:
        click.echo(output, nl=False, color=colour)


def _line_reader(sources: dict[str, bytes], limit: int) -> Callable[[str, int], str | None]:
    """Source lines for ``--show-source``, each file read once, on demand (never a file
    that was not read for linting either)."""
    cache: dict[str, list[str]] = {}

    def read_line(path: str, line: int) -> str | None:
        if path not in cache:
            try:
                data = sources[path] if path in sources else read_source(path, limit)
            except (OSError, FileTooLarge):
                data = b""
            cache[path] = data.decode("utf-8", errors="replace").splitlines()
        lines = cache[path]
        return lines[line - 1] if 0 < line <= len(lines) else None

    return read_line


def _configure(
    config_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
) -> Config:
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"--config: file not found: {config_file}")
    config = load_config(config_file)
    if select:
        config.select = _codes(select, "--select")
        if not config.select:  # an empty shell variable, say: it would report nothing
            raise ConfigError("--select: no rule code given (e.g. --select TS2,TS301)")
    if ignore:
        config.ignore = [*config.ignore, *_codes(ignore, "--ignore")]
    config.exclude = [*config.exclude, *(p for value in exclude for p in value.split(",") if p)]
    return config


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
def server_cli() -> None:
    """Run the tsafe-lint language server on standard input and output (LSP).

    Editors start it themselves; see docs/editors.md. It reads the configuration of the
    workspace the editor opens, as the command line does."""
    from tsafe_lint.server import missing_dependencies, serve

    problem = missing_dependencies()
    if problem is not None:
        click.echo(f"tsafe-lint: error: {problem}", err=True)
        sys.exit(EXIT_USAGE)
    serve()


def main() -> None:
    """Console-script entry point. ``tsafe-lint server`` starts the language server (a
    directory named ``server`` is linted as ``tsafe-lint ./server``)."""
    if sys.argv[1:2] == ["server"]:
        server_cli(args=sys.argv[2:], prog_name="tsafe-lint server")
        return
    cli(prog_name="tsafe-lint")
