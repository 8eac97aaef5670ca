"""Benchmarks: pytest-benchmark suites and ``python -m benchmarks.peers``."""
