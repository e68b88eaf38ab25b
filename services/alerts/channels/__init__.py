"""Alert channels behind one Channel interface (base.py): signed webhooks, Slack and email."""
