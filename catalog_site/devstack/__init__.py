"""The one-machine stack behind ``make run`` and ``make test``."""
