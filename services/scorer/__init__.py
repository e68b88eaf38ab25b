"""The scorer: a faust-streaming app around the pure health model."""
