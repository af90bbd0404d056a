"""Sequence mode: neighbours in time as context, and fitting with ``order_by``."""
