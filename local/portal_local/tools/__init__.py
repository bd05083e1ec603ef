"""Developer tools run by ``make check`` (never deployed)."""
