"""The Lambda artifact carries the document templates, stylesheet and fonts, and code run from it finds them.

Chalice puts only app.py, chalicelib/ and vendor/ into the deployment zip, which is why the templates live in
chalicelib/templates (the root ``templates`` is a symlink to it). This runs the real ``chalice package`` on a
copy of the project. The copy's requirements.txt is emptied: with the real one, chalice would ``pip download``
Linux wheels for every runtime dependency, which needs the network and proves nothing about our own files
(the app files are added to the zip by the same ``_add_app_files`` either way).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pypdf
import pytest

from tests.conftest import ROOT

CHALICE = Path(sys.executable).parent / "chalice"

DOCUMENT_FILES = [
    "chalicelib/documents.py",
    "chalicelib/templates/base.html",
    "chalicelib/templates/invoice.html",
    "chalicelib/templates/credit_note.html",
    "chalicelib/templates/page.html",
    "chalicelib/templates/macros.html",
    "chalicelib/templates/quote.html",
    "chalicelib/templates/i18n/en.json",
    "chalicelib/templates/i18n/ru.json",
    "chalicelib/templates/assets/invoice.css",
    "chalicelib/templates/assets/footer.html",
    "chalicelib/templates/assets/DejaVuSansCondensed.ttf",
    "chalicelib/templates/assets/DejaVuSansCondensed-Bold.ttf",
    "chalicelib/templates/assets/LICENSE-DejaVu.txt",
]

# Run from the unzipped artifact: renders the sample invoice and a PDF with the packaged fonts.
PROBE = """
import json, sys
from pathlib import Path
from chalicelib import documents
from chalicelib.adapters.pdf import WeasyPrintRenderer
from chalicelib.domain.timesheet import timesheet
view = json.loads(sys.stdin.read())
html = documents.invoice_html(view, {"name": "Proxima Ops LLC"}, timesheet([]))
Path("probe.pdf").write_bytes(WeasyPrintRenderer().render(html))
print(json.dumps({"documents": documents.__file__, "assets": str(documents.ASSETS_DIR),
                  "html_has_number": "PRX-2026-0099" in html}))
"""


@pytest.fixture(scope="module")
def deployment_zip(tmp_path_factory) -> Path:
    if not CHALICE.exists():
        pytest.fail(f"chalice CLI not found at {CHALICE}")
    project = tmp_path_factory.mktemp("project")
    shutil.copy2(ROOT / "app.py", project / "app.py")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    shutil.copytree(ROOT / ".chalice", project / ".chalice", ignore=ignore)
    if (ROOT / "vendor").is_dir():
        shutil.copytree(ROOT / "vendor", project / "vendor", ignore=ignore)
    (project / "requirements.txt").write_text("")  # see the module docstring: no wheels, no network
    out = tmp_path_factory.mktemp("package") / "out"
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")}
    result = subprocess.run([str(CHALICE), "package", "--stage", "dev", str(out)], cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "deployment.zip"


def test_the_zip_carries_templates_stylesheet_and_fonts(deployment_zip):
    with zipfile.ZipFile(deployment_zip) as archive:
        names = set(archive.namelist())
        assert "app.py" in names
        missing = [name for name in DOCUMENT_FILES if name not in names]
        assert not missing, missing
        packaged_font = archive.read("chalicelib/templates/assets/DejaVuSansCondensed.ttf")
    assert packaged_font == (ROOT / "chalicelib/templates/assets/DejaVuSansCondensed.ttf").read_bytes()


def test_code_run_from_the_unzipped_artifact_finds_them(deployment_zip, tmp_path):
    unzipped = tmp_path / "task"
    with zipfile.ZipFile(deployment_zip) as archive:
        archive.extractall(unzipped)
    view = {"kind": "invoice", "number": "PRX-2026-0099", "currency": "USD", "total": "10.00", "lines": []}
    # -I: isolated, so neither the repository (cwd of pytest) nor PYTHONPATH can supply chalicelib; the
    # libraries (jinja2, weasyprint) still come from the interpreter's site-packages, as from a Lambda layer.
    result = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(unzipped)!r})\n" + PROBE],
                            input=json.dumps(view), cwd=unzipped, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(found["documents"]).is_relative_to(unzipped)
    assert Path(found["assets"]) == (unzipped / "chalicelib/templates/assets").resolve()
    assert found["html_has_number"] is True
    reader = pypdf.PdfReader(unzipped / "probe.pdf")
    fonts = {str(font.get_object()["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts and all("InvoiceSans" in name for name in fonts), fonts  # the packaged font, not a system one
