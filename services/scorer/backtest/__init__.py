"""Backtest: replay a history through a model file and measure how well it warned of churn."""
