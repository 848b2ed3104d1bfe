"""Iterating an object of a class of the same package whose iteration methods return
copies (safedict.py's, under its lock; imported directly or through the package's
__init__) walks a copy: not TS105. The plain dict next to it is, and so are
registry.py's dict subclass and mapping wrapper, which walk a live dict."""
import threading

from pkg import ExportedDict
from pkg.safedict import ThreadSafeDict

from .registry import Registry, Sessions
from .safedict import ThreadSafeDict as Relative

rooms = ThreadSafeDict()
guests = Relative()
exported = ExportedDict()
plain = {}
ordered = Registry()
sessions = Sessions()


def handle_client(name):
    rooms[name] = name
    guests[name] = name
    plain[name] = name
    for room in rooms.items():
        print(room)
    for guest in guests.items():
        print(guest)
    exported[name] = name
    for item in exported.items():
        print(item)
    del exported[name]
    for key in plain.items():  # error: TS105
        print(key)
    ordered[name] = name
    sessions[name] = name
    for key in ordered:  # error: TS105
        print(key)
    for key in sessions.values():  # error: TS105
        print(key)
    del ordered[name]
    del sessions[name]
    del rooms[name]
    del guests[name]
    del plain[name]


def serve(names):
    for name in names:
        threading.Thread(target=handle_client, args=(name,)).start()
