try:
    import pyarrow
except ImportError as error:  # the extra's usual message
    raise ImportError("tables need the [arrow] extra") from error


def to_table(rows):
    return pyarrow.table(rows)
