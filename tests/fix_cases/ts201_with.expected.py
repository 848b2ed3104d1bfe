import threading

lock = threading.Lock()
ledger = []


def book(seat):
    # take the lock
    with lock:  # keep this comment
        ledger.append(seat)
        print("booked",   seat)   # odd spacing stays
        # about to release
    return seat


class Account:
    def __init__(self):
        self._lock = threading.RLock()
        self.balance = 0

    def deposit(self, amount):
        with self._lock:
            self.balance = self.balance + int(amount)
