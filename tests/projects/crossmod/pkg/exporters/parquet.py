"""An optional extra: this module needs pyarrow, which nothing else of pkg imports."""
import pyarrow.parquet as pq


def write(rows, path):
    pq.write_table(rows, path)
