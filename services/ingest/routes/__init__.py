"""Ingest routes, one module per resource."""
