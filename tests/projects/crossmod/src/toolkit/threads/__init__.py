"""A regular package inside the namespace package ``toolkit`` below src/: its modules are
``toolkit.threads...``, as their imports name them."""
