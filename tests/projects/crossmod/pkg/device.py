"""No threading here: scan.py hands one Device to every task of its pool, so these
methods run on the pool's threads at once, on one object (``analysis/shared_args.py``).
That evidence is opt-in (``extend-evidence = ["shared-argument"]``): clean by default,
tests/test_project.py turns it on and expects TS102 at the counter."""


class Device:
    def __init__(self):
        self.ports_scanned = 0
        self.label = "device"

    def test_port(self, port):
        self.ports_scanned += 1
        return port % 2 == 0

    def rename(self, label):
        self.label = label
