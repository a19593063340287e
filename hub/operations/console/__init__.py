"""The operator console: one page over every process's operations endpoints, the dead letters and the
BİLGE reconciliation runs.

- aggregator.py: `Aggregator`, which samples each process's /health/live, /health/ready and /metrics;
  figures.py turns two samples into rates, overview.py one process's samples into what the page shows.
- app.py: `create_console_app`, the JSON API and the page (static/: index.html, app.js, style.css;
  plain HTML and JavaScript, no build step, no CDN).
- hub/entrypoints/processes/console.py: `ConsoleProcess`, the sampler and the web server as one
  process (`hub console`).
- Who may use it: operators.py (accounts, roles watch and act), sessions.py (logins, sessions, CSRF
  tokens), tables.py (their tables), auth.py (the guard of every route, login and logout), cli.py
  (`hub operators`, in hub/entrypoints/cli_console.py).
"""

from hub.operations.console.aggregator import Aggregator
from hub.operations.console.app import STATIC_DIR, TITLE, create_console_app

__all__ = ["STATIC_DIR", "TITLE", "Aggregator", "create_console_app"]
