"""healthmon on one machine: broker, ports, demo traffic, `up`, `status`, a webhook receiver."""
