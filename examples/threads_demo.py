"""Starting threads, with the two classic slips in the Thread(...) call.

1. `target=announce()` calls announce() right now, in the main thread, and hands
   its result (None) to the Thread: the new thread does nothing at all.
2. `args=(name)` is just `name` in parentheses, not a tuple: the string is
   unpacked into its characters and download() gets too many arguments.
"""
import threading
import time


def announce():
    print("Starting downloads")


def download(name):
    print(f"Downloading {name}")
    time.sleep(0.5)
    print(f"Finished {name}")


def main():
    names = ["report.pdf", "data.csv", "photo.png"]
    threads = [threading.Thread(target=announce())]
    for name in names:
        threads.append(threading.Thread(target=download, args=(name)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
