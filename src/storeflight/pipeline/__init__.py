"""The ingestion pipeline: from CommitStarted to Published (or a ...Failed status that says why)."""
