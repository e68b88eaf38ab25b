"""Notification channels for alerts: Slack incoming webhooks and email."""
