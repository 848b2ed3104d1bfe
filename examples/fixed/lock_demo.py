"""The Lock demo, fixed: `with lock:` releases the lock even when the payment fails."""
import random
import threading
import time

available_seats = 10
lock = threading.Lock()


def charge_card(customer):
    if random.random() < 0.2:
        raise RuntimeError(f"payment declined for customer {customer}")


def book_seat(customer):
    global available_seats
    with lock:
        if available_seats > 0:
            charge_card(customer)
            time.sleep(0.1)
            available_seats -= 1
            print(f"Customer {customer} booked. Remaining seats: {available_seats}")
        else:
            print(f"Customer {customer}: sorry, no seats available.")


def main():
    threads = [
        threading.Thread(target=book_seat, args=(customer,), daemon=True)
        for customer in range(15)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 3
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        print(f"{stuck} bookings are stuck waiting for a lock nobody will release")


if __name__ == "__main__":
    main()
