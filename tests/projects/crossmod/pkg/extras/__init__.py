"""Optional extras: their names load the third-party modules they need."""
from .arrow import *  # noqa: F403


def __getattr__(name):
    if name == "Sheet":  # loaded lazily: openpyxl is another extra
        from .sheets import Sheet

        return Sheet
    raise AttributeError(name)
