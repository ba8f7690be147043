"""Blob storage for uploaded archives, behind a small Protocol (`protocol.py`)."""
