"""民情走访台账: the township visit-and-demand ledger."""

__version__ = "0.1.0"
