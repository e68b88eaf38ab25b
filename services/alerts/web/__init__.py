"""The CSM workspace: server-rendered pages of the alerts service (accounts, alerts, deliveries)."""
