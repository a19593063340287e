"""Signed commands (hub/contract/signing): a detached EdDSA JWS over each record's bytes, checked against the
registry of sending systems."""
