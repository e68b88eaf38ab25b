"""Ingest: the HTTP API that validates events and account updates and produces them to Kafka."""
