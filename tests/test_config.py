"""Configuration: ``[tool.tsafe-lint]`` in the nearest pyproject.toml, ``--config``, errors."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import Result

from tests.clirunner import cli_runner
from tests.samples import BAD, MIXED, write
from tsafe_lint.cli import cli
from tsafe_lint.config import Config, ConfigError, find_pyproject, load_config

TEXT_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>TS\d{3}) .+$")


def run(*args: str) -> Result:
    return cli_runner().invoke(cli, list(args))


def findings(result: Result) -> list[tuple[str, str]]:
    """(path, code) of every finding line; fails on any other output line."""
    found = []
    for line in result.output.splitlines():
        match = TEXT_LINE.match(line)
        assert match, f"not a finding: {line!r}"
        found.append((match["path"], match["code"]))
    return found


def codes(result: Result) -> list[str]:
    return sorted({code for _, code in findings(result)})


def pyproject(directory: Path, body: str) -> Path:
    return write(directory / "pyproject.toml", "[tool.tsafe-lint]\n" + body)


# --- discovery of pyproject.toml -----------------------------------------------------


def test_select_from_pyproject(in_tmp: Path) -> None:
    pyproject(in_tmp, 'select = ["TS4"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("m.py")) == ["TS402", "TS403"]


def test_ignore_from_pyproject(in_tmp: Path) -> None:
    pyproject(in_tmp, 'ignore = ["TS2", "TS403"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("m.py")) == ["TS301", "TS402"]


def test_select_and_ignore_from_pyproject(in_tmp: Path) -> None:
    pyproject(in_tmp, 'select = ["TS2"]\nignore = ["TS201"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("m.py")) == ["TS204"]


def test_empty_section_keeps_defaults(in_tmp: Path) -> None:
    pyproject(in_tmp, "")
    write(in_tmp / "m.py", MIXED)
    assert codes(run("m.py")) == ["TS201", "TS204", "TS301", "TS402", "TS403"]


def test_pyproject_found_from_cwd_upwards(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(in_tmp, 'ignore = ["TS201"]\n')
    sub = in_tmp / "pkg" / "deeper"
    write(sub / "m.py", MIXED)
    monkeypatch.chdir(sub)
    result = run(".")
    assert codes(result) == ["TS204", "TS301", "TS402", "TS403"]


def test_nearest_pyproject_wins(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject(in_tmp, 'ignore = ["TS201"]\n')
    sub = in_tmp / "inner"
    pyproject(sub, 'select = ["TS201"]\n')
    write(sub / "m.py", MIXED)
    monkeypatch.chdir(sub)
    assert codes(run("m.py")) == ["TS201"]


def test_pyproject_without_section_is_passed_over(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject(in_tmp, 'select = ["TS3"]\n')
    sub = in_tmp / "inner"
    write(sub / "pyproject.toml", '[project]\nname = "inner"\n[tool.black]\nline-length = 88\n')
    write(sub / "m.py", MIXED)
    monkeypatch.chdir(sub)
    assert codes(run("m.py")) == ["TS301"]


def test_find_pyproject(tmp_path: Path) -> None:
    target = pyproject(tmp_path, "")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_pyproject(sub) == target
    assert find_pyproject(tmp_path) == target


def test_load_config_reads_all_keys(tmp_path: Path) -> None:
    path = pyproject(
        tmp_path,
        'select = ["ts2", "TS301"]\n'
        'ignore = ["TS204"]\n'
        'exclude = ["gen/*"]\n'
        'extend-exclude = ["vendored"]\n'
        "max-file-size = 2_000_000\n"
        '[tool.tsafe-lint.per-file-ignores]\n"tests/*" = ["TS201"]\n',
    )
    config = load_config(path)
    assert config.max_file_size == 2_000_000
    assert config.select == ["TS2", "TS301"]
    assert config.ignore == ["TS204"]
    assert config.exclude == ["gen/*", "vendored"]
    assert config.per_file_ignores == {"tests/*": ["TS201"]}
    assert config.root == tmp_path
    assert config.source == path
    assert config.is_enabled("TS201")
    assert not config.is_enabled("TS204")
    assert not config.is_enabled("TS402")
    assert not config.is_enabled("TS201", config.ignores_for(str(tmp_path / "tests" / "t.py")))


def test_load_config_without_any_pyproject_is_default(tmp_path: Path) -> None:
    if find_pyproject(tmp_path) is not None:
        pytest.skip("a pyproject.toml with [tool.tsafe-lint] exists above the temp directory")
    config = load_config(start=tmp_path)
    assert config.select is None
    assert config.ignore == []
    assert config.exclude == []
    assert config.per_file_ignores == {}


# --- exclude / extend-exclude / per-file-ignores -------------------------------------


def test_exclude_from_pyproject(in_tmp: Path) -> None:
    pyproject(in_tmp, 'exclude = ["generated/*", "old_*.py"]\n')
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "old_b.py", BAD)
    write(in_tmp / "generated" / "c.py", BAD)
    assert findings(run(".")) == [("a.py", "TS201")]


def test_extend_exclude_from_pyproject(in_tmp: Path) -> None:
    pyproject(in_tmp, 'exclude = ["generated"]\nextend-exclude = ["legacy"]\n')
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "generated" / "c.py", BAD)
    write(in_tmp / "legacy" / "d.py", BAD)
    assert findings(run(".")) == [("a.py", "TS201")]


def test_cli_exclude_adds_to_config_exclude(in_tmp: Path) -> None:
    pyproject(in_tmp, 'exclude = ["generated"]\n')
    write(in_tmp / "a.py", BAD)
    write(in_tmp / "b.py", BAD)
    write(in_tmp / "generated" / "c.py", BAD)
    assert findings(run("--exclude", "b.py", ".")) == [("a.py", "TS201")]


def test_exclude_is_relative_to_the_config_root(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject(in_tmp, 'exclude = ["tests/fixtures/*"]\n')
    write(in_tmp / "tests" / "test_a.py", BAD)
    write(in_tmp / "tests" / "fixtures" / "bad.py", BAD)
    assert findings(run(".")) == [(os.path.join("tests", "test_a.py"), "TS201")]
    monkeypatch.chdir(in_tmp / "tests")
    assert findings(run(".")) == [("test_a.py", "TS201")]


def test_per_file_ignores(in_tmp: Path) -> None:
    pyproject(
        in_tmp,
        "[tool.tsafe-lint.per-file-ignores]\n"
        '"tests/*" = ["TS201"]\n'
        '"legacy_*.py" = ["TS2", "TS4"]\n',
    )
    write(in_tmp / "src" / "a.py", BAD)
    write(in_tmp / "tests" / "test_a.py", BAD)
    write(in_tmp / "legacy_m.py", MIXED)
    write(in_tmp / "m.py", MIXED)
    found = findings(run("."))
    assert (os.path.join("src", "a.py"), "TS201") in found
    assert not [f for f in found if f[0].startswith("tests")]
    assert sorted(code for path, code in found if path == "legacy_m.py") == ["TS301"]
    assert sorted({code for path, code in found if path == "m.py"}) == [
        "TS201",
        "TS204",
        "TS301",
        "TS402",
        "TS403",
    ]


def test_per_file_ignores_from_a_subdirectory(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject(in_tmp, '[tool.tsafe-lint.per-file-ignores]\n"tests/*" = ["TS201"]\n')
    write(in_tmp / "tests" / "test_a.py", BAD)
    write(in_tmp / "tests" / "test_b.py", MIXED)
    monkeypatch.chdir(in_tmp / "tests")
    found = findings(run("."))
    assert found, "the other codes of test_b.py are still reported"
    assert "TS201" not in {code for _, code in found}


def test_per_file_ignores_does_not_silence_parse_errors_by_accident(in_tmp: Path) -> None:
    pyproject(in_tmp, '[tool.tsafe-lint.per-file-ignores]\n"*.py" = ["TS2"]\n')
    write(in_tmp / "broken.py", "def f(:\n")
    assert findings(run(".")) == [("broken.py", "TS001")]


# --- CLI overrides -------------------------------------------------------------------


def test_cli_select_replaces_config_select(in_tmp: Path) -> None:
    pyproject(in_tmp, 'select = ["TS2"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("--select", "TS301", "m.py")) == ["TS301"]


def test_cli_ignore_adds_to_config_ignore(in_tmp: Path) -> None:
    pyproject(in_tmp, 'ignore = ["TS2"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("--ignore", "TS4", "m.py")) == ["TS301"]


# --- --config ------------------------------------------------------------------------


def test_config_option_with_pyproject(in_tmp: Path) -> None:
    write(in_tmp / "conf" / "pyproject.toml", '[tool.tsafe-lint]\nselect = ["TS403"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("--config", "conf/pyproject.toml", "m.py")) == ["TS403"]


def test_config_option_with_top_level_keys(in_tmp: Path) -> None:
    write(in_tmp / "tsafe.toml", 'select = ["TS3", "TS4"]\nignore = ["TS402"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("--config", "tsafe.toml", "m.py")) == ["TS301", "TS403"]


def test_config_option_beats_discovered_pyproject(in_tmp: Path) -> None:
    pyproject(in_tmp, 'select = ["TS2"]\n')
    write(in_tmp / "other.toml", 'select = ["TS301"]\n')
    write(in_tmp / "m.py", MIXED)
    assert codes(run("--config", "other.toml", "m.py")) == ["TS301"]


def test_config_option_missing_file(in_tmp: Path) -> None:
    write(in_tmp / "m.py", MIXED)
    result = run("--config", "nope.toml", "m.py")
    assert result.exit_code == 2
    assert "nope.toml" in result.stderr
    assert result.stdout == ""


def test_config_option_with_unknown_top_level_key(in_tmp: Path) -> None:
    write(in_tmp / "tsafe.toml", 'select = ["TS3"]\nline-length = 80\n')
    write(in_tmp / "m.py", MIXED)
    result = run("--config", "tsafe.toml", "m.py")
    assert result.exit_code == 2
    assert "line-length" in result.stderr


# --- errors --------------------------------------------------------------------------


def assert_config_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("tsafe-lint: error: ")
    for needle in needles:
        assert needle in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ('selct = ["TS201"]\n', ["unknown key", "selct"]),
        ("per_file_ignores = {}\n", ["unknown key", "per_file_ignores"]),
        ('select = ["TS999"]\n', ["TS999"]),
        ('ignore = ["TS2", "XX1"]\n', ["XX1"]),
        ('[tool.tsafe-lint.per-file-ignores]\n"a.py" = ["TS777"]\n', ["TS777"]),
        ('select = "TS201"\n', ["select", "list"]),
        ("exclude = [1, 2]\n", ["exclude", "list"]),
        ('per-file-ignores = ["TS201"]\n', ["per-file-ignores"]),
        ('[tool.tsafe-lint.per-file-ignores]\n"a.py" = "TS201"\n', ["a.py"]),
        ("max-file-size = 0\n", ["max-file-size", "positive"]),
        ("max-file-size = -5\n", ["max-file-size", "positive"]),
        ('max-file-size = "1MB"\n', ["max-file-size", "bytes"]),
        ("max-file-size = 1.5\n", ["max-file-size", "bytes"]),
        ("max-file-size = true\n", ["max-file-size", "bytes"]),
    ],
)
def test_bad_configuration_is_a_clear_error(in_tmp: Path, body: str, needles: list[str]) -> None:
    pyproject(in_tmp, body)
    write(in_tmp / "a.py", BAD)
    assert_config_error(run("a.py"), *needles)


def test_section_must_be_a_table(in_tmp: Path) -> None:
    write(in_tmp / "pyproject.toml", '[tool]\ntsafe-lint = "yes"\n')
    write(in_tmp / "a.py", BAD)
    assert_config_error(run("a.py"), "table")


def test_invalid_toml(in_tmp: Path) -> None:
    write(in_tmp / "pyproject.toml", '[tool.tsafe-lint]\nselect = ["TS201"\n')
    write(in_tmp / "a.py", BAD)
    assert_config_error(run("a.py"), "invalid TOML", "pyproject.toml")


def test_invalid_toml_in_config_option(in_tmp: Path) -> None:
    write(in_tmp / "bad.toml", "select = = 1\n")
    write(in_tmp / "a.py", BAD)
    assert_config_error(run("--config", "bad.toml", "a.py"), "invalid TOML", "bad.toml")


def test_unknown_key_in_config_option_pyproject(in_tmp: Path) -> None:
    write(in_tmp / "conf.toml", "[tool.tsafe-lint]\nfoo = 1\n")
    write(in_tmp / "a.py", BAD)
    assert_config_error(run("--config", "conf.toml", "a.py"), "foo")


def test_load_config_raises_config_error(tmp_path: Path) -> None:
    path = pyproject(tmp_path, "bogus = true\n")
    with pytest.raises(ConfigError, match="bogus"):
        load_config(path)


def test_list_rules_and_explain_do_not_read_configuration(in_tmp: Path) -> None:
    # --list-rules and --explain do not read the configuration at all
    pyproject(in_tmp, "bogus = true\n")
    assert run("--list-rules").exit_code == 0
    assert run("--explain", "TS201").exit_code == 0


# --- Config.is_enabled semantics -----------------------------------------------------


@pytest.mark.parametrize(
    ("select", "ignore", "code", "enabled"),
    [
        (None, [], "TS201", True),
        (None, ["TS201"], "TS201", False),
        (None, ["TS2"], "TS201", False),
        (["TS2"], [], "TS201", True),
        (["TS2"], [], "TS301", False),
        (["TS2"], ["TS201"], "TS201", False),
        (["TS201"], ["TS2"], "TS201", True),
        (["TS2"], ["TS2"], "TS201", False),
        (["ALL"], [], "TS403", True),
        (None, ["ALL"], "TS201", False),
        # engine codes cannot be deselected by a select that does not name them
        (["TS201"], [], "TS001", True),
        (["TS201"], [], "TS002", True),
        (None, ["TS001"], "TS001", False),
    ],
)
def test_is_enabled(select: list[str] | None, ignore: list[str], code: str, enabled: bool) -> None:
    assert Config(select=select, ignore=ignore).is_enabled(code) is enabled


def test_extend_evidence_is_read_and_validated(tmp_path: Path) -> None:
    """``extend-evidence`` turns opt-in evidence kinds on; an unknown kind is an error."""
    good = tmp_path / "good.toml"
    good.write_text('extend-evidence = ["process-wide", "own-thread", "own-thread"]\n')
    assert load_config(good).extend_evidence == ["own-thread", "process-wide"]
    assert load_config(None, tmp_path).extend_evidence == []
    for bad in ('extend-evidence = ["telepathy"]', 'extend-evidence = "own-thread"'):
        path = tmp_path / "bad.toml"
        path.write_text(bad + "\n")
        with pytest.raises(ConfigError, match="extend-evidence"):
            load_config(path)


def test_the_config_knows_every_opt_in_evidence_kind() -> None:
    """config.py repeats the kinds so that it loads without LibCST: they must agree."""
    from tsafe_lint.analysis.evidence import OPT_IN_EVIDENCE as analysed
    from tsafe_lint.config import OPT_IN_EVIDENCE as configured

    assert configured == analysed


def test_shared_and_single_thread_lists_are_read_and_validated(tmp_path: Path) -> None:
    """``shared`` and ``single-thread`` name classes and functions; anything but a list
    of dotted names is an error (exit 2 from the CLI)."""
    good = tmp_path / "good.toml"
    good.write_text('shared = ["app.cache.Cache", "Cache"]\nsingle-thread = ["app.loop"]\n')
    config = load_config(good)
    assert config.shared == ["Cache", "app.cache.Cache"]
    assert config.single_thread == ["app.loop"]
    assert config.analysis_options() == (
        "shared=Cache",
        "shared=app.cache.Cache",
        "single-thread=app.loop",
    )
    for bad in ('shared = "Cache"', 'shared = ["not a name"]', "single-thread = [1]"):
        path = tmp_path / "bad.toml"
        path.write_text(bad + "\n")
        with pytest.raises(ConfigError, match="dotted names"):
            load_config(path)


CACHE_MODULE = """\
class Cache:
    def __init__(self):
        self._d = {}

    def get(self, key):
        if key not in self._d:
            self._d[key] = object()
        return self._d[key]


hits = 0


def hit():
    global hits
    hits += 1
"""


def test_listed_classes_and_functions_are_shared_or_confined(in_tmp: Path) -> None:
    """The configuration's twin of ``# tsafe: shared`` and ``# tsafe: single-thread``:
    a file with no threading vocabulary is analysed when it defines a listed name."""
    write(in_tmp / "app" / "__init__.py", "")
    write(in_tmp / "app" / "cache.py", CACHE_MODULE)
    assert run("--no-cache", "app").exit_code == 0
    pyproject(in_tmp, 'shared = ["app.cache.Cache", "app.cache.hit"]\n')
    result = run("--no-cache", "app")
    assert findings(result) == [("app/cache.py", "TS103"), ("app/cache.py", "TS102")]
    assert "'Cache' is listed in 'shared' of [tool.tsafe-lint]" in result.output
    assert "(listed in 'shared' at [tool.tsafe-lint])" in result.output
    pyproject(in_tmp, 'shared = ["Cache", "hit"]\nsingle-thread = ["app.cache.Cache"]\n')
    assert findings(run("--no-cache", "app")) == [("app/cache.py", "TS102")]
    pyproject(in_tmp, 'shared = ["app.cache.Cache"]\nsingle-thread = ["1x"]\n')
    bad = run("--no-cache", "app")
    assert bad.exit_code == 2 and "'single-thread' must be a list" in bad.output
