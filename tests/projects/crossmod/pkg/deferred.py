"""TS401 with deferred imports before the catching ``try``: one that loads nothing the
module has not loaded already (a standard module, ``pkg.segments``, ``pkg.exporters.web``
whose requests this module imports itself) cannot fail; one that loads a third-party
module of its own (``pkg.exporters.parquet``: pyarrow) or a module outside the project
may: also through a star re-export, a ``try`` that re-raises the ``ImportError``, or a
package's lazy ``__getattr__`` (pkg.extras)."""
import logging
from concurrent.futures import ThreadPoolExecutor

import requests

from pkg import helpers

log = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(2)
SESSION = requests.Session()


def _warm(asset):
    import json

    from pkg.segments import ensure

    try:
        ensure(json.dumps(asset))
    except Exception:
        log.exception("warm-up failed for %s", asset)


def _upload(rows, url):
    from .exporters.web import post

    try:
        post(rows, url)
    except Exception:
        log.exception("upload to %s failed", url)


def _export(rows, path):
    from .exporters.parquet import write

    try:
        write(rows, path)
    except Exception:
        log.exception("export to %s failed", path)


def _store(rows, name):
    from google.cloud import storage

    try:
        storage.Client().bucket(name).blob("rows").upload_from_string(str(rows))
    except Exception:
        log.exception("storing %s failed", name)


def _tabulate(rows):
    from .extras import to_table

    try:
        to_table(rows)
    except Exception:
        log.exception("tabulating failed")


def _tabulate_direct(rows):
    from .extras.arrow import to_table

    try:
        to_table(rows)
    except Exception:
        log.exception("tabulating failed")


def _sheet(rows, path):
    from .extras import Sheet

    try:
        Sheet().write(rows, path)
    except Exception:
        log.exception("sheet %s failed", path)


def start_extras(rows, path):
    _POOL.submit(_tabulate, rows)  # error: TS401
    _POOL.submit(_tabulate_direct, rows)  # error: TS401
    _POOL.submit(_sheet, rows, path)  # error: TS401


def start(asset, rows, url, path):
    helpers.normalise(asset)
    _POOL.submit(_warm, asset)
    _POOL.submit(_upload, rows, url)
    _POOL.submit(_export, rows, path)  # error: TS401
    _POOL.submit(_store, rows, "bucket")  # error: TS401
