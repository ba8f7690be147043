"""The HTTP adapter: thin routers, one module per resource, errors mapped in `errors.py` only."""
