"""Flags the workers poll; rebound elsewhere (stopper.py) and re-exported by the package."""

RUNNING = True
PAUSED = False
VERBOSE = False


def wait_for_resume():
    while PAUSED:  # the defining module polls its own global: pause.py's rebinding misses it
        pass
