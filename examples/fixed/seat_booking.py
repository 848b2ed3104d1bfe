"""The booking app, fixed: the check and the decrement happen under one Lock,
and every future is kept so that a failed booking raises in main()."""
import concurrent.futures
import threading
import time

available_seats = 10
concurrent_threads = 10
lock = threading.Lock()


def book_seat():
    global available_seats
    with lock:
        if available_seats > 0:
            time.sleep(0.1)  # Simulate processing
            available_seats -= 1
            print(f"Seat booked. Remaining seats: {available_seats}")
        else:
            print("Sorry, no seats available.")


def main():
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrent_threads) as executor:
        futures = [executor.submit(book_seat) for _ in range(15)]
        for future in concurrent.futures.as_completed(futures):
            future.result()
    print(f"Seats left at the end: {available_seats}")  # always 0


if __name__ == "__main__":
    main()
