"""Glanage's benchmarks: `make bench` runs them all (see docs/performance.md)."""
