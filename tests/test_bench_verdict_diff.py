"""bench/verdict_diff.py: which reviewed findings a change of the rules removed or added."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_bench_bugs import _bench

verdict_diff = _bench("verdict_diff")


def _raw(*findings: tuple[str, str, int, str]) -> dict[str, object]:
    packages: dict[str, dict[str, list[dict[str, object]]]] = {}
    for package, path, line, code in findings:
        entry = packages.setdefault(package, {"findings": []})
        entry["findings"].append(
            {"path": path, "line": line, "code": code, "message": f"{code} at {line}"}
        )
    return {"packages": packages}


VERDICTS = """\
[[finding]]
package = "pkg"
location = "pkg/a.py:10"
code = "TS201"
verdict = "false"
reason = "nothing raises"

[[finding]]
package = "pkg"
location = "pkg/b.py:5"
code = "TS103"
verdict = "true"
reason = "a real race"
"""


def test_gone_and_new_findings_carry_their_verdicts(tmp_path: Path) -> None:
    before = _raw(("pkg", "pkg/a.py", 10, "TS201"), ("pkg", "pkg/b.py", 5, "TS103"))
    after = _raw(("pkg", "pkg/b.py", 5, "TS103"), ("pkg", "pkg/c.py", 7, "TS102"))
    data = tmp_path / "verdicts.toml"
    data.write_text(VERDICTS)
    verdicts = verdict_diff.load_verdicts(data)
    gone, new = verdict_diff.diff(
        verdict_diff.findings_of(before), verdict_diff.findings_of(after), verdicts
    )
    assert [(key, verdict) for key, verdict, _ in gone] == [
        (("pkg", "pkg/a.py", 10, "TS201"), "false")
    ]
    assert [(key, verdict) for key, verdict, _ in new] == [
        (("pkg", "pkg/c.py", 7, "TS102"), "unjudged")
    ]
    text = verdict_diff.report(gone, new)
    assert "gone: 1 (1 false)" in text
    assert "new: 1 (1 unjudged)" in text


def test_opt_in_codes_are_left_out_unless_asked() -> None:
    raw = _raw(("pkg", "pkg/a.py", 3, "TS104"), ("pkg", "pkg/a.py", 4, "TS101"))
    assert list(verdict_diff.findings_of(raw)) == [("pkg", "pkg/a.py", 4, "TS101")]
    assert len(verdict_diff.findings_of(raw, all_codes=True)) == 2


def test_the_command_line_prints_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(_raw(("pkg", "pkg/a.py", 10, "TS201"))))
    after.write_text(json.dumps(_raw()))
    data = tmp_path / "verdicts.toml"
    data.write_text(VERDICTS)
    assert verdict_diff.main([str(before), str(after), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("before: 1 findings, after: 0\n")
    assert "false     pkg pkg/a.py:10 TS201" in out
