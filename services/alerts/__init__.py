"""Alerts: stores risk changes, raises alerts and delivers them to signed webhooks."""
