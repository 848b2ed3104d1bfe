"""Never handed to a thread: its read-modify-write is not reported."""

total = 0


def bump():
    global total
    total += 1
