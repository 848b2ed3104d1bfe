"""Every task of the pool gets the same Device (device.py); each gets a port of its own.
Renaming happens once, before the pool starts."""

from concurrent.futures import ThreadPoolExecutor, wait

from pkg.device import Device


def scan(device: Device, ports):
    device.rename("scanned")
    with ThreadPoolExecutor(4) as pool:
        wait([pool.submit(_test_port, device, port) for port in ports])


def _test_port(device: Device, port):
    return device.test_port(port)
