"""Service layer: load state, apply a rule, store the result with its outgoing messages."""
