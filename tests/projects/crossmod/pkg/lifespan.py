"""The coroutines that run discovery's blocking calls off the event loop."""

import asyncio

from pkg import discovery


async def lifespan(device):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, discovery.start, device)
    await loop.run_in_executor(None, discovery.start_scan, device)
    yield
    await loop.run_in_executor(None, discovery.stop)


async def rescan():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, discovery.stop_scan)
