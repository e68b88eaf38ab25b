"""Alerts-service routes, one module per resource."""
