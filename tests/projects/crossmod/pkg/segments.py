"""Imported late by pkg.deferred (an import cycle): it loads only standard modules and
pkg.helpers, which pkg.deferred has loaded already."""
import json
import os

from pkg import helpers


def ensure(asset):
    return os.path.join(helpers.__name__, json.dumps(asset))
