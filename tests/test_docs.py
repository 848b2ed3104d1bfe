"""The documentation: generated rule pages, ``--explain``, links, the option tables and
the editor and pre-commit snippets, checked against the real tool."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.clirunner import cli_runner
from tests.faces_support import (
    REPO,
    parse_text,
    run_tool,
)
from tsafe_lint.cli import cli
from tsafe_lint.config import _KNOWN_KEYS
from tsafe_lint.rules import ALL_RULES

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
