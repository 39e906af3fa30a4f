"""HTTP API: a thin FastAPI shell over the library (needs the 'api' extra). ``api.app`` builds the app, caps
request bodies and maps the core's errors to statuses in one handler; one router module per domain."""
