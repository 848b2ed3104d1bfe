"""SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards) ingest."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from urllib.parse import quote

from tsafe_lint import __version__
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.fingerprints import fingerprints
from tsafe_lint.rules import ALL_RULES, ENGINE_CODES
from tsafe_lint.trail import why_trail

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/OWNER/tsafe-lint"  # the README's placeholder owner
#: The key of our fingerprint in ``partialFingerprints`` (``primaryLocationLineHash`` is
#: GitHub's own, computed by its upload action; it must not be given another meaning).
FINGERPRINT_KEY = "tsafeLintFingerprint/v1"


def _first_paragraph(doc: str) -> str:
    lines: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith("**What it does**"):
            continue
        if not stripped and lines:
            break
        if stripped:
            lines.append(stripped)
    return " ".join(lines)


def _rule_descriptors() -> list[dict[str, object]]:
    descriptors: list[dict[str, object]] = []
    for code, text in ENGINE_CODES.items():
        name = "parse-error" if code == "TS001" else "internal-error"
        descriptors.append(
            {
                "id": code,
                "name": name,
                "shortDescription": {"text": text},
                "fullDescription": {"text": text},
                "help": {"text": text, "markdown": text},
                "defaultConfiguration": {"level": "error"},
            }
        )
    for rule in ALL_RULES:
        doc = rule.documentation()
        descriptors.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": _first_paragraph(doc) or rule.summary},
                "help": {"text": doc, "markdown": doc},
                "defaultConfiguration": {"level": "error" if rule.default_enabled else "none"},
                "properties": {"tags": ["thread-safety", rule.family]},
            }
        )
    return descriptors


def _uri(path: str) -> str:
    """A relative URI reference (RFC 3986): ``my dir/50%.py`` -> ``my%20dir/50%25.py``."""
    return quote(PurePath(path).as_posix())


def _related_locations(d: Diagnostic) -> list[dict[str, object]]:
    """The why-trail (``submitted to a thread pool at main.py:29``) as locations."""
    return [
        {
            "id": number,
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(step.path)},
                "region": {"startLine": step.line},
            },
            "message": {"text": step.label},
        }
        for number, step in enumerate(why_trail(d))
    ]


def render_sarif(diagnostics: Sequence[Diagnostic], sources: dict[str, bytes] | None = None) -> str:
    """One run, every rule described in ``tool.driver.rules``, one result per finding.

    ``partialFingerprints`` carry the fingerprint the baseline uses (rule, enclosing
    function, normalised code) and which occurrence of it in the file this is, so code
    scanning keeps an alert's identity when lines move.
    """
    descriptors = _rule_descriptors()
    index = {str(descriptor["id"]): i for i, descriptor in enumerate(descriptors)}
    results = []
    seen: dict[tuple[str, str], int] = {}
    for d, fingerprint in zip(diagnostics, fingerprints(diagnostics, sources)):
        occurrence = seen[(d.path, fingerprint)] = seen.get((d.path, fingerprint), 0) + 1
        region: dict[str, int] = {"startLine": d.line, "startColumn": d.col}
        if d.end_line >= d.line and d.end_col > 0:
            region["endLine"] = d.end_line
            region["endColumn"] = d.end_col
        result: dict[str, object] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path)},
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: f"{fingerprint}:{occurrence}"},
        }
        related = _related_locations(d)
        if related:
            result["relatedLocations"] = related
        results.append(result)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tsafe-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
