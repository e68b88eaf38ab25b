"""Reading and writing the alerts service's rows, one module per purpose."""
