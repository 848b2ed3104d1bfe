"""A signal handler whose locks are in sshd.py."""

import signal

from . import sshd


def stop(signum, frame):
    sshd.close()  # its lock is held on client threads only: clean
    sshd.flush()  # error: TS208


def main(conns):
    signal.signal(signal.SIGTERM, stop)
    sshd.serve(conns)
    sshd.add(len(conns))
