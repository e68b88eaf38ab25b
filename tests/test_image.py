"""deploy/Dockerfile builds from a pinned base image and installs only what deploy/requirements.lock
names, checked against its hashes; the lock covers every dependency pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)")


def locked() -> dict[str, tuple[str, list[str]]]:
    """Each locked package's version and hashes."""
    found: dict[str, tuple[str, list[str]]] = {}
    name = ""
    for line in (DEPLOY / "requirements.lock").read_text().splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match[1])
            found[name] = (match[2], [])
        elif line.strip().startswith("--hash=sha256:"):
            found[name][1].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
    return found


def test_the_base_image_is_an_exact_release() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    [base] = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base)


def test_the_image_installs_the_lock_with_hashes_and_fetches_nothing_else() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    installs = re.findall(r"pip install ([^\n\\&]+)", dockerfile)
    assert installs == [
        "--require-hashes -r requirements.lock",
        "--no-index --no-deps --no-build-isolation . ",
    ]
    assert "COPY deploy/requirements.lock" in dockerfile
    assert "!deploy/requirements.lock" in (DEPLOY / "Dockerfile.dockerignore").read_text()


def test_every_locked_package_has_hashes() -> None:
    for name, (_version, hashes) in locked().items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_the_lock_satisfies_every_dependency_and_the_build_backend() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = [Requirement(r) for r in pyproject["project"]["dependencies"]]
    needed += [Requirement(r) for r in pyproject["build-system"]["requires"]]
    pins = locked()
    for requirement in needed:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not locked: regenerate deploy/requirements.lock"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}=={version} does not satisfy {requirement}: regenerate the lock"
        )
