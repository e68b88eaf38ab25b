"""The scorer: a consumer-group worker around the pure health model."""
