"""healthmon on one machine: local broker, free ports, demo traffic, `healthmon up`, `status`."""
