"""The GET-APP page, driven in a real headless Chromium (Debian's, `make chromium`) through Playwright."""
