"""healthmon services: ingest, scorer and alerts, what they share, and the `healthmon` command."""
