"""Every module that declares tables, imported here so that Base.metadata holds them all."""

from __future__ import annotations

from sqlalchemy import MetaData

import services.alerts.tables
import services.alerts.web.tables
import services.ingest.account_mappings
import services.web.api_keys  # noqa: F401
from services.db.sql import Base


def all_tables() -> MetaData:
    """The metadata of every table the migrations keep."""
    return Base.metadata
