"""The customs offices' page and API (gümrük idareleri): officers find declarations their office may
see (C2), read their goods lines, ledger, documents and notes (C3) and who acted when, and the C4
statistics; from the core's store, read only.

- tables.py, accounts.py: officers' accounts (office, C1 role) and sessions; made by `hub officers`.
- queries.py, statistics.py: what an office may see, from the core's store.
- api.py, auth.py, app.py: the JSON API (OpenAPI at /docs) and its guard; static/: the page.
- process.py: `hub office`, with its operations endpoints.
"""
