"""Fuzzing: whatever the input, the engine returns findings and never raises.

Two generators: ``hypothesmith`` (syntactically valid Python from the grammar, on its own
and spliced into a threaded template so that the lock and thread analyses run on it), and
random byte/line mutations of the fixtures (fixed seed). Every result must be a list of
``Diagnostic`` objects with known codes and no TS002 (an internal error).

A short run is part of the normal suite. The long run is marked ``fuzz`` and skipped
unless selected: ``pytest -m fuzz`` (or ``TSAFE_FUZZ=1 pytest``); ``TSAFE_FUZZ_SEED``
changes the mutation seed (default 0).
"""

from __future__ import annotations

import os
import random
import textwrap
import warnings
from pathlib import Path

import pytest

from tsafe_lint.codes import ALL_CODES
from tsafe_lint.config import Config
from tsafe_lint.diagnostics import Diagnostic
from tsafe_lint.engine import Linter

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))
SEED = int(os.environ.get("TSAFE_FUZZ_SEED", "0"))

SHORT_EXAMPLES = 30
LONG_EXAMPLES = 1000
SHORT_MUTANTS = 3  # per fixture
LONG_MUTANTS = 60

TEMPLATE = """\
import threading

lock = threading.Lock()
cond = threading.Condition(lock)
state = {{}}


class Worker:
    def __init__(self):
        self.lock = threading.RLock()
        self.count = 0

    def run(self):
        with self.lock:
            self.count += 1
{method}

def work():
{function}

threading.Thread(target=work).start()
threading.Thread(target=Worker().run).start()
"""


def linter() -> Linter:
    return Linter(Config(select=["TS"]))


def check(source: bytes | str, where: Path | None = None) -> list[Diagnostic]:
    """Lint ``source``; on an exception, save it (when ``where`` is given) and re-raise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning & co. from compiling the input
            found = linter().lint_source(source, "x.py")
    except BaseException:
        if where is not None:
            where.write_bytes(source.encode("utf-8") if isinstance(source, str) else source)
        raise
    assert isinstance(found, list)
    for diagnostic in found:
        assert isinstance(diagnostic, Diagnostic), diagnostic
        assert diagnostic.code in ALL_CODES, diagnostic
        assert diagnostic.line >= 1 and diagnostic.col >= 0, diagnostic
    internal = [d for d in found if d.code == "TS002"]
    assert not internal, f"internal error on generated input: {internal}\n{source!r}"
    return found


def long_run_selected(config: pytest.Config) -> bool:
    return os.environ.get("TSAFE_FUZZ") == "1" or "fuzz" in (config.getoption("-m") or "")


@pytest.fixture
def long_run(request: pytest.FixtureRequest) -> None:
    if not long_run_selected(request.config):
        pytest.skip("long fuzzing run: select it with `pytest -m fuzz` (or TSAFE_FUZZ=1)")


# --- hypothesmith: valid Python ---------------------------------------------------------
def splice(generated: str) -> str:
    body = textwrap.indent(generated.strip("\n") or "pass", "    ")
    return TEMPLATE.format(method=textwrap.indent(body, "    "), function=body)


def fuzz_generated(max_examples: int, *, template: bool, derandomize: bool) -> None:
    hypothesmith = pytest.importorskip("hypothesmith")
    from hypothesis import HealthCheck, given, settings

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,  # no .hypothesis/ directory in the repository
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(hypothesmith.from_grammar())
    def run(source: str) -> None:
        check(splice(source) if template else source)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # hypothesmith compiles its output
        run()


def test_generated_python_short() -> None:
    fuzz_generated(SHORT_EXAMPLES, template=False, derandomize=True)


def test_generated_python_in_threaded_template_short() -> None:
    fuzz_generated(SHORT_EXAMPLES, template=True, derandomize=True)


@pytest.mark.fuzz
def test_generated_python_long(long_run: None) -> None:
    fuzz_generated(LONG_EXAMPLES, template=False, derandomize=False)


@pytest.mark.fuzz
def test_generated_python_in_threaded_template_long(long_run: None) -> None:
    fuzz_generated(LONG_EXAMPLES, template=True, derandomize=False)


# --- byte and line mutations of the fixtures -------------------------------------------
SPECIAL_BYTES = b"\x00\t\n\r \"'#():=[\\]{}\x7f\x80\xc3\xef\xff"


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to eight edits: flip a bit, insert or delete a byte, or (keeping the file closer
    to valid Python, so that the rules run) duplicate or delete a line."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        operation = rng.choice(("flip", "insert", "delete", "insert", "delete", "line"))
        if operation == "flip" and buffer:
            buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
        elif operation == "insert":
            byte = rng.choice(SPECIAL_BYTES) if rng.random() < 0.5 else rng.randrange(256)
            buffer.insert(rng.randint(0, len(buffer)), byte)
        elif operation == "delete" and buffer:
            del buffer[rng.randrange(len(buffer))]
        elif operation == "line":
            lines = bytes(buffer).splitlines(keepends=True)
            if lines:
                index = rng.randrange(len(lines))
                if rng.random() < 0.5:
                    lines.insert(rng.randint(0, len(lines)), lines[index])
                else:
                    del lines[index]
                buffer = bytearray(b"".join(lines))
    return bytes(buffer)


def fixture_id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def fuzz_fixture(path: Path, mutants: int, tmp_path: Path) -> None:
    """``mutants`` mutants of one fixture; a failing one is saved under ``tmp_path``."""
    original = path.read_bytes()
    rng = random.Random(f"{SEED}:{fixture_id(path)}")
    for number in range(mutants):
        mutant = mutate(original, rng)
        check(mutant, tmp_path / f"{fixture_id(path).replace('/', '_')}.mutant{number}.py")


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_mutated_fixture_short(path: Path, tmp_path: Path) -> None:
    fuzz_fixture(path, SHORT_MUTANTS, tmp_path)


@pytest.mark.fuzz
def test_mutated_fixtures_long(tmp_path: Path, long_run: None) -> None:
    for path in FIXTURE_FILES:
        fuzz_fixture(path, LONG_MUTANTS, tmp_path)


def test_there_are_fixtures_to_mutate() -> None:
    assert len(FIXTURE_FILES) >= 10
