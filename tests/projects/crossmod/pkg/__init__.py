"""A package whose threads start in one module and do their work in others."""

from .tasks import process as process  # re-exported: main.py uses pkg.process too
from .safedict import ThreadSafeDict as ExportedDict  # re-exported: rooms.py uses it
from .flags import PAUSED as PAUSED  # re-exported: pause.py rebinds it
