"""Kafka plumbing the services share: topics, records read, batched sends, reconnects, lag."""
