"""The console's component tests (Vitest: money, dates, periods and catalog labels in English and Russian)
run inside ``make test`` too."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.browser.conftest import FRONTEND


def test_vitest_component_tests_pass(console_dist):  # console_dist: node_modules installed, app builds
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed for the console's tests (frontend/)")
    result = subprocess.run([npm, "test", "--silent"], cwd=FRONTEND, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert " passed" in result.stdout
