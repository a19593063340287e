"""GET-APP firm accounts (Circular 2017/12, A4–A8): application, YKTS authority check, user codes, passwords.

- `rules`: the rules, pure (no I/O, no clock, no randomness: all of it comes in as arguments).
- `passwords`: Argon2id hashing and initial passwords.
- `tables`: the accounts' own tables (SQLite and PostgreSQL).
- `service`: the use cases over the store, the YKTS request publisher and a clock.
- `mail`: SMTP settings and sender, and the relay that sends queued mails.
- `api`: the JSON endpoints (FastAPI router) and the `current_firm` dependency.
"""
