"""Entry point for ``python -m tsafe_lint``."""

from tsafe_lint.cli import main

if __name__ == "__main__":
    main()
