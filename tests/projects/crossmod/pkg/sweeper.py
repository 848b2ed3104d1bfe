"""The callers of sweeps.py: one sweep run through ``asyncio.to_thread`` (its two calls run
in turn on that one thread; another such sweep whose second function a watcher also runs on
a thread of its own), two coroutines that each run one call through ``to_thread`` (two
threads when both are awaited at once), and a pool's threads."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from pkg import sweeps


def _sweep(rows):
    sweeps.forget_dead(rows)
    return sweeps.note_silent(rows, time.monotonic())


async def reconcile(rows):
    while True:
        await asyncio.to_thread(_sweep, rows)
        await asyncio.sleep(5)


async def drop_marks(rows):
    await asyncio.to_thread(sweeps.drop_marks, rows)


async def note_marks(rows):
    return await asyncio.to_thread(sweeps.note_marks, rows, time.monotonic())


def _tally(rows):
    sweeps.drop_tallies(rows)
    return sweeps.note_tallies(rows, time.monotonic())


def tally_all(batches):
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(_tally, batches))


def _sweep_beats(rows):
    sweeps.drop_beats(rows)
    return sweeps.note_beats(rows, time.monotonic())


async def sweep_beats(rows):
    return await asyncio.to_thread(_sweep_beats, rows)


async def watch_beats(rows):
    return await asyncio.to_thread(sweeps.note_beats, rows, time.monotonic())
