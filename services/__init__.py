"""healthmon services: ingest, scorer and alerts, and what they share."""
