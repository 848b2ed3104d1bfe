"""Functions of one module that another module's thread calls in turn run on that one
thread: ``forget_dead`` and ``note_silent`` are called one after the other by the sweep
sweeper.py runs through one ``asyncio.to_thread``, so the check-then-act on ``_seen`` has
no other thread to race with (alpi-agent's run reconcilers, ninety-fifth set: TS103
judged false). The twins stay reported: ``drop_marks`` and ``note_marks`` are each run
through a ``to_thread`` of its own, ``note_tallies`` runs on the threads of a pool, and
``note_beats`` runs both on the thread of a sweep that calls ``drop_beats`` first and on
a watcher's thread of its own."""

_seen = {}
_marks = {}
_tallies = {}
_beats = {}


def forget_dead(rows):
    for row in rows:
        if row.get("dead"):
            _seen.pop(row["id"], None)


def note_silent(rows, now):
    silent = []
    for row in rows:
        seen = _seen.get(row["id"])
        if seen is None or seen[0] != row["at"]:
            _seen[row["id"]] = (row["at"], now)
            continue
        if now - seen[1] > 30:
            silent.append(row)
    return silent


def drop_marks(rows):
    for row in rows:
        if row.get("dead"):
            _marks.pop(row["id"], None)


def note_marks(rows, now):
    silent = []
    for row in rows:
        seen = _marks.get(row["id"])
        if seen is None or seen[0] != row["at"]:  # error: TS103
            _marks[row["id"]] = (row["at"], now)
            continue
        if now - seen[1] > 30:
            silent.append(row)
    return silent


def drop_tallies(rows):
    for row in rows:
        if row.get("dead"):
            _tallies.pop(row["id"], None)


def note_tallies(rows, now):
    silent = []
    for row in rows:
        seen = _tallies.get(row["id"])
        if seen is None or seen[0] != row["at"]:  # error: TS103
            _tallies[row["id"]] = (row["at"], now)
            continue
        if now - seen[1] > 30:
            silent.append(row)
    return silent


def drop_beats(rows):
    for row in rows:
        if row.get("dead"):
            _beats.pop(row["id"], None)


def note_beats(rows, now):
    silent = []
    for row in rows:
        seen = _beats.get(row["id"])
        if seen is None or seen[0] != row["at"]:  # error: TS103
            _beats[row["id"]] = (row["at"], now)
            continue
        if now - seen[1] > 30:
            silent.append(row)
    return silent
