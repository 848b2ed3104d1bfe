"""The standard modules every platform and every supported Python has: what a deferred
import may load without failing in use (``rules/safe_imports.py``,
``project/import_closure.py``).

A fixed list, not ``sys.stdlib_module_names``: that follows the interpreter running the
linter, and names platform modules (``winreg``, ``fcntl``) and modules a minimal build
leaves out (``ssl``, ``sqlite3``, ``ctypes``, ``tkinter``, ``lzma``) that fail elsewhere.
"""

from __future__ import annotations

#: Standard modules present on every platform and in every Python from 3.9 to 3.14
#: (those with a C part that a minimal build may leave out, ``ssl``, ``sqlite3``,
#: ``ctypes``, ``tkinter``, ``lzma``..., are left out on purpose).
STANDARD_MODULES = frozenset(
    {
        "abc",
        "argparse",
        "asyncio",
        "atexit",
        "base64",
        "bisect",
        "collections",
        "collections.abc",
        "concurrent",
        "concurrent.futures",
        "contextlib",
        "copy",
        "csv",
        "dataclasses",
        "datetime",
        "enum",
        "errno",
        "fnmatch",
        "functools",
        "gc",
        "glob",
        "hashlib",
        "heapq",
        "hmac",
        "html",
        "http",
        "http.client",
        "inspect",
        "io",
        "itertools",
        "json",
        "logging",
        "logging.handlers",
        "math",
        "operator",
        "os",
        "os.path",
        "pathlib",
        "pickle",
        "platform",
        "pprint",
        "queue",
        "random",
        "re",
        "secrets",
        "select",
        "shlex",
        "shutil",
        "signal",
        "socket",
        "stat",
        "string",
        "struct",
        "subprocess",
        "sys",
        "tempfile",
        "textwrap",
        "threading",
        "time",
        "traceback",
        "types",
        "typing",
        "urllib",
        "urllib.parse",
        "urllib.request",
        "uuid",
        "warnings",
        "weakref",
    }
)


#: Standard modules some of whose names exist only on some platforms (``signal.SIGALRM``,
#: ``select.epoll``, ``os.fork``, ``socket.AF_UNIX``, ``time.tzset``,
#: ``subprocess.CREATE_NEW_CONSOLE``, ``asyncio.WindowsSelectorEventLoopPolicy``): a
#: ``from M import name`` of one of them may fail; ``import M`` may not.
PLATFORM_NAMES = frozenset(
    {"os", "signal", "select", "socket", "time", "subprocess", "errno", "sys", "asyncio"}
)
