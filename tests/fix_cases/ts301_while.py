import threading

cv = threading.Condition()
queue = []


def take():
    with cv:
        if not queue:  # nothing yet
            cv.wait()
        return queue.pop(0)


def take_with_more_work():
    with cv:
        if not queue:
            print("waiting")
            cv.wait()  # not fixed: the if does more than wait
        return queue.pop(0)
