"""The workbench: server-rendered pages (FastAPI + Jinja2) over the library, with accounts, organisations,
sharing and the audit trail of :mod:`pinchpoint.accounts` (needs the 'web' extra).

``create_web_app`` builds the JSON API app and adds the pages, sign-in, CSRF checks, security headers and rate
limits; ``pinchpoint web`` serves it. No script or style is fetched from the internet, and no page has an inline
script: the Content-Security-Policy says so.
"""
