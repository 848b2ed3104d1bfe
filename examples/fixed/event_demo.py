"""Ground staff, fixed: block on Event.wait() instead of polling is_set() in a sleep loop."""
import threading
import time

flight_landed = threading.Event()


def wait_for_passengers():
    print("Ground staff: waiting for the flight to land")
    while not flight_landed.wait(timeout=60):
        print("Ground staff: still waiting...")
    print("Ground staff: collecting passengers")


def flight_status_update():
    time.sleep(2)  # the flight is in the air
    print("Tower: flight has landed")
    flight_landed.set()


def main():
    collector = threading.Thread(target=wait_for_passengers)
    tower = threading.Thread(target=flight_status_update)
    collector.start()
    tower.start()
    collector.join()
    tower.join()


if __name__ == "__main__":
    main()
