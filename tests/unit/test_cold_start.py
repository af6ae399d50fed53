"""What ``import app`` loads is what every Lambda cold start pays: the drivers, the renderer, the SDKs and the
request models (pydantic) load on first use. A fresh interpreter, so nothing a test imported counts."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

ON_FIRST_USE = ("psycopg", "psycopg_pool", "clickhouse_connect", "jwt", "boto3", "weasyprint", "jinja2", "bcrypt",
                "pydantic", "chalicelib.schemas", "chalicelib.config_schemas", "chalicelib.invoice_schemas")


def test_import_app_loads_none_of_the_heavy_modules():
    probe = "import json, sys, app; print(json.dumps(sorted(m for m in %r if m in sys.modules)))" % (ON_FIRST_USE,)
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == []
