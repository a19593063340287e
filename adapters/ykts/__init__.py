"""YKTS adapter: authority checks (A4, A5) against the registry of obligors."""
