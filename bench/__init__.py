"""Benchmarks: run by hand (`python -m bench.<name>`), printed figures, no assertions."""
