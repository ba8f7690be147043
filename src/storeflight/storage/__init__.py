"""Persistence behind a small Protocol (`protocol.py`), implemented once with SQLAlchemy for SQLite and PostgreSQL."""
