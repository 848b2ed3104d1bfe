"""Needs requests, which pkg.deferred imports at its top already."""
import requests


def post(rows, url):
    requests.post(url, json=rows, timeout=10)
