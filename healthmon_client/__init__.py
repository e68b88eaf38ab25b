"""Clients for sending events to healthmon: straight to Kafka, or over HTTP to ingest."""

from healthmon_client.errors import InvalidEvent, SendFailed
from healthmon_client.http import HealthmonClient
from healthmon_client.kafka import EventProducer

__all__ = ["EventProducer", "HealthmonClient", "InvalidEvent", "SendFailed"]
