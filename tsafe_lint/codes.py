"""Every code with its name and default, importable without loading the analysis.

The rule classes are the source of truth (a test checks this table against them); this
table lets the configuration and the reporters run without importing LibCST, which is
most of a warm run's cost when every result comes from the cache.
"""

from __future__ import annotations

#: Codes the engine itself reports (not rules: they cannot be disabled by accident).
ENGINE_CODES = {
    "TS001": "could not parse: the file cannot be read or is not valid Python",
    "TS002": "internal error in a rule or the analysis (please report it)",
}

#: code -> (name, on by default)
RULE_CODES: dict[str, tuple[str, bool]] = {
    "TS101": ("global-write-in-thread", True),
    "TS102": ("unlocked-read-modify-write", True),
    "TS103": ("unlocked-check-then-act", True),
    "TS104": ("inconsistent-locking", False),
    "TS105": ("iteration-during-mutation", True),
    "TS106": ("process-state-changed-in-thread", False),
    "TS107": ("process-state-swapped-on-thread", True),
    "TS108": ("decision-outlives-lock", False),
    "TS109": ("singleton-init-race", False),
    "TS201": ("acquire-without-try-finally", True),
    "TS202": ("acquire-without-release", True),
    "TS203": ("reentrant-lock-acquire", True),
    "TS204": ("useless-lock", True),
    "TS205": ("lock-order-inversion", True),
    "TS206": ("blocking-call-under-lock", True),
    "TS207": ("acquire-result-ignored", True),
    "TS208": ("lock-in-finalizer", True),
    "TS209": ("release-if-locked", True),
    "TS301": ("condition-wait-not-in-loop", True),
    "TS302": ("condition-not-held", True),
    "TS303": ("semaphore-release-unbalanced", True),
    "TS304": ("busy-wait-on-event", True),
    "TS305": ("close-leaves-waiter-asleep", False),
    "TS401": ("future-discarded", True),
    "TS402": ("thread-target-called", True),
    "TS403": ("thread-args-not-tuple", True),
    "TS404": ("stop-event-not-set-in-finally", True),
    "TS405": ("ready-event-not-set-on-failure", True),
    "TS406": ("imported-flag-rebound", True),
    "TS407": ("stop-flag-raised-by-thread", True),
    "TS408": ("thread-joins-itself", True),
    "TS409": ("joins-every-thread", True),
    "TS410": ("task-done-skipped", True),
    "TS411": ("end-marker-skipped", True),
    "TS412": ("published-before-ready", True),
    "TS413": ("restart-revives-old-thread", False),
    "TS414": ("signal-handler-set-in-thread", True),
    "TS415": ("timeout-inside-pool-with", True),
    "TS416": ("loop-variable-read-late", True),
    "TS417": ("busy-flag-set-by-thread", False),
}

ALL_CODES = sorted({*ENGINE_CODES, *RULE_CODES})


def code_name(code: str) -> str:
    if code in RULE_CODES:
        return RULE_CODES[code][0]
    return "parse-error" if code == "TS001" else "internal-error"


def default_enabled(code: str) -> bool:
    return code in ENGINE_CODES or RULE_CODES.get(code, ("", False))[1]


#: Where each rule's page is published (the repository's docs/rules/); editors link
#: findings to it. OWNER is the same placeholder as in the README's install lines.
RULE_DOCS_URL = "https://github.com/OWNER/tsafe-lint/blob/main/docs/rules/{page}"


def rule_url(code: str) -> str:
    """The documentation page of ``code`` (the rules index for the engine codes)."""
    page = "index.md" if code in ENGINE_CODES else f"{code}.md"
    return RULE_DOCS_URL.format(page=page)
