"""Iterating an object of a class imported from the same package runs that class's code
(safedict.py copies under its lock), not a dict's iterator: not TS105. The plain dict
next to it is."""
import threading

from pkg.safedict import ThreadSafeDict

from .safedict import ThreadSafeDict as Relative

rooms = ThreadSafeDict()
guests = Relative()
plain = {}


def handle_client(name):
    rooms[name] = name
    guests[name] = name
    plain[name] = name
    for room in rooms.items():
        print(room)
    for guest in guests.items():
        print(guest)
    for key in plain.items():  # error: TS105
        print(key)
    del rooms[name]
    del guests[name]
    del plain[name]


def serve(names):
    for name in names:
        threading.Thread(target=handle_client, args=(name,)).start()
