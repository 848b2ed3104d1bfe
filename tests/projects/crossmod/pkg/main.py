from concurrent.futures import ThreadPoolExecutor

import pkg
from pkg import tasks


def run(items):
    with ThreadPoolExecutor(max_workers=8) as executor:
        list(executor.map(tasks.process, items))
        futures = [executor.submit(pkg.process, item) for item in items]
    return [f.result() for f in futures]
