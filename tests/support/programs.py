"""Programs from Debian packages that some tests run: .ci/run installs them, so in CI a missing
one fails the test; elsewhere it skips it."""

from __future__ import annotations

import os
import shutil

import pytest


def program(name: str, package: str) -> str:
    """The path of `name`, which Debian's `package` installs."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: .ci/run installs Debian's {package} package")
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return found
