"""The alerts service: alerts raised from risk changes, routed, delivered; its API and workspace."""
