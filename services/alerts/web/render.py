"""The workspace's Jinja2 templates and the filters they use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.alerts import reasons
from services.alerts.web import words
from services.alerts.web.session import Person

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    when=words.when,
    score=words.score_text,
    money=words.money,
    component=reasons.component_name,
    todate=words.parse_time,
    event_type=words.event_type,
)
environment.globals.update(
    band_label=words.BAND_LABEL,
    band_why=words.BAND_WHY,
    event_words=words.EVENT_WORDS,
    ago=words.ago,
)


def page(
    request: Request,
    template: str,
    person: Person | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A rendered page (or fragment) for `person`."""
    html = environment.get_template(template).render(
        request=request, person=person, path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
