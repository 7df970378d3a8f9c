"""Benchmarks, run by hand from the repository root: ``.venv/bin/python -m bench.NAME [DATABASE_URL]``."""
