import threading
from concurrent.futures import ThreadPoolExecutor


def greet(name):
    print("hello", name)


def tick():
    print("tick")


def main(names):
    threading.Thread(target=greet, args=("Ada",)).start()
    threading.Thread(target=greet, args=(  names[0],  )).start()  # spacing kept
    threading.Thread(target=tick).start()
    timer = threading.Timer(1.0, tick)
    with ThreadPoolExecutor() as pool:
        future = pool.submit(greet("Bob"))  # has arguments: no automatic fix
    return timer, future
