"""`healthmon receive-webhooks`: what a local receiver prints for the messages it gets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.alerts.signing import headers, new_secret


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def receiver(secret: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The receiver on a free port, checking signatures with `secret`; its URL and process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    command = ["receive-webhooks", "--port", "0", "--secret", secret]
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", *command],
        env=env | {"HEALTHMON_DATA_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.search(r"receiving webhooks at (http://127\.0\.0\.1:\d+)/", first)
    assert found, first
    try:
        yield found.group(1), process
    finally:
        process.terminate()
        process.wait(10)


def test_each_message_is_printed_with_its_id_and_whether_its_signature_holds(
    receiver: tuple[str, subprocess.Popen[str]], secret: str
) -> None:
    url, process = receiver
    body = b'{"type":"webhook.ping","data":{}}'
    signed = headers(secret, "msg_1", 1_780_000_000, body)
    assert httpx.post(f"{url}/hooks", content=body, headers=signed).status_code == 200
    forged = headers(new_secret(), "msg_2", 1_780_000_000, body)
    assert httpx.post(f"{url}/hooks", content=body, headers=forged).status_code == 200
    assert process.stdout is not None
    printed = [process.stdout.readline().rstrip("\n") for _ in range(4)]
    assert printed == [
        "POST /hooks id=msg_1 signature=valid",
        body.decode(),
        "POST /hooks id=msg_2 signature=INVALID",
        body.decode(),
    ]
