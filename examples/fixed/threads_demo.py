"""Starting threads, fixed: pass the function itself as target, and args as a tuple."""
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
    threads = [threading.Thread(target=announce)]
    for name in names:
        threads.append(threading.Thread(target=download, args=(name,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
