"""The GET-APP web page (Circular 2017/12): one static page over the accounts and tracking JSON APIs.

- static/: index.html, app.js, style.css; plain HTML and JavaScript, no build step, no CDN.
- app.py: `create_getapp_app`, the FastAPI application serving both the APIs and the page.
"""

from hub.getapp.web.app import STATIC_DIR, TITLE, create_getapp_app

__all__ = ["STATIC_DIR", "TITLE", "create_getapp_app"]
