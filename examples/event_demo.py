"""Ground staff wait for a flight to land by polling an Event in a sleep loop.

The loop wakes up every half second to ask "has it landed yet?": it wastes CPU
while waiting and reacts up to half a second late. Event.wait() does both better.
"""
import threading
import time

flight_landed = threading.Event()


def wait_for_passengers():
    print("Ground staff: waiting for the flight to land")
    while not flight_landed.is_set():
        time.sleep(0.5)
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
