"""The deliveries page: webhook endpoints, routes, recent attempts, and replay of a failed
delivery."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from services.alerts.store.alerts import utcnow
from services.alerts.store.episodes import AlertStateError
from services.alerts.tables import DeliveryRow
from services.alerts.web.access import Form, SignedIn, require_scope
from services.alerts.web.actions import replay_delivery
from services.alerts.web.queries import deliveries
from services.alerts.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/deliveries")
def deliveries_page(request: Request, person: SignedIn) -> HTMLResponse:
    with request.app.state.sessions() as session:
        found = deliveries(session)
    settings = request.app.state.settings
    email = "on" if settings.smtp_host else "off: no SMTP server set (HEALTHMON_SMTP_HOST)"
    return page(
        request, "deliveries.html.j2", person, found=found, now=utcnow(), email=email,
        replayed=request.query_params.get("replayed"),
    )  # fmt: skip


@router.post("/deliveries/{delivery_id}/replay")
def replay(request: Request, delivery_id: str, person: SignedIn, _form: Form) -> RedirectResponse:
    require_scope(person, "alerts:write")
    with request.app.state.sessions.begin() as session:
        failed = session.get(DeliveryRow, delivery_id)
        if failed is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no delivery {delivery_id!r}")
        try:
            again = replay_delivery(session, failed, utcnow())
        except AlertStateError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        new_id = again.id
    wake = getattr(request.app.state, "wake_delivery", None)
    if wake is not None:
        wake()
    return RedirectResponse(f"/deliveries?replayed={new_id}", status_code=303)
