"""A travel agent serving customers, coordinated with a Condition, done wrong twice.

1. The agent waits under `if`, not `while`: after a wake-up it does not re-check
   the queue, so a spurious wake-up (or another agent taking the customer first)
   ends in `pop()` on an empty list.
2. Customers call notify() after leaving the `with` block: notify() needs the
   condition held and raises "RuntimeError: cannot notify on un-acquired lock".
"""
import threading
import time

customer_available_condition = threading.Condition()
customer_queue = []
customers = [("Asha", 1.0), ("Boris", 0.2), ("Chen", 2.5), ("Dana", 0.6), ("Emil", 1.8)]


def add_customer_to_queue(customer_name):
    with customer_available_condition:
        customer_queue.append(customer_name)
    customer_available_condition.notify()


def customer_arrives(customer_name, delay):
    time.sleep(delay)
    print(f"{customer_name} arrives")
    add_customer_to_queue(customer_name)


def serve_customers():
    for _ in range(len(customers)):
        with customer_available_condition:
            if not customer_queue:
                customer_available_condition.wait()
            customer = customer_queue.pop(0)
        print(f"Travel agent is serving {customer}")
        time.sleep(1)


def main():
    agent = threading.Thread(target=serve_customers, daemon=True)
    agent.start()
    arrivals = [
        threading.Thread(target=customer_arrives, args=(name, delay))
        for name, delay in customers
    ]
    for thread in arrivals:
        thread.start()
    for thread in arrivals:
        thread.join()
    agent.join(timeout=len(customers) + 1)


if __name__ == "__main__":
    main()
