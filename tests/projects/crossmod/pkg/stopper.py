"""Rebinds its own copies: pollers elsewhere never see them. The module-attribute and the
Event forms (flags.RUNNING = False through the module, an Event's set()) are the fixes."""

from pkg import flags
from pkg.flags import RUNNING, VERBOSE


def halt():
    global RUNNING
    RUNNING = False  # error: TS406


def halt_properly():
    flags.RUNNING = False


def louder():
    global VERBOSE
    VERBOSE = True  # no loop polls VERBOSE anywhere: a copy nobody waits on


def is_running():
    return RUNNING
