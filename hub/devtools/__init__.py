"""Tools for developers' machines, benchmarks and tests: nothing a deployed hub runs."""
