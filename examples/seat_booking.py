"""A travel booking app made multi-threaded, and racy.

Ten worker threads try to book fifteen seats out of ten. The check of
`available_seats` and the decrement are separate steps, so several threads can
pass the check before any of them decrements: the app sells more seats than it has.
The futures from `submit()` are thrown away too, so an exception in a booking
would vanish without a trace.
"""
import concurrent.futures
import time

available_seats = 10
concurrent_threads = 10


def book_seat():
    global available_seats
    if available_seats > 0:
        time.sleep(0.1)  # Simulate processing
        available_seats -= 1
        print(f"Seat booked. Remaining seats: {available_seats}")
    else:
        print("Sorry, no seats available.")


def main():
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrent_threads) as executor:
        for _ in range(15):
            executor.submit(book_seat)
    print(f"Seats left at the end: {available_seats}")  # often negative


if __name__ == "__main__":
    main()
