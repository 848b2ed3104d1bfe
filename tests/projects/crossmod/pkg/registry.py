"""Containers whose iteration walks a live dict (used by rooms.py): a dict subclass, and a
mapping wrapper whose ``__iter__`` returns the iterator of the dict it keeps."""
from collections import OrderedDict
from collections.abc import MutableMapping


class Registry(OrderedDict):
    pass


class Sessions(MutableMapping):
    def __init__(self):
        self._store = {}

    def __getitem__(self, key):
        return self._store[key]

    def __setitem__(self, key, value):
        self._store[key] = value

    def __delitem__(self, key):
        del self._store[key]

    def __iter__(self):
        return iter(self._store)

    def __len__(self):
        return len(self._store)
