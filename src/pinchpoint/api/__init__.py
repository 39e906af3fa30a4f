"""HTTP API: a thin FastAPI shell over the library (needs the 'api' extra)."""
