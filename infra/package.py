"""``make package``: the deployable artifact in ``dist/``: ``sam.json`` (CloudFormation with the SAM
transform) and ``deployment.zip`` (app.py, chalicelib/ and the Linux wheels of requirements.txt).

``chalice package --stage prod`` generates the functions, the REST API, the schedules, the SQS event
source and one role per function (policies: ``.chalice/policy-prod*.json``); ``infra/resources.yaml`` is
then merged in: the queue, its dead-letter queue, the event source's ``ReportBatchItemFailures``, the
parameters. The merge is ours, not ``chalice package --merge-template``: chalice's deep merge would
combine the generated ``{"Fn::Sub": <queue ARN by name>}`` with our ``{"Fn::GetAtt": ...}`` into one
invalid value, where an intrinsic function must replace what it overrides.

What goes into the zip is ``requirements.lock``: every runtime package, transitive ones included, pinned
with its hashes (``make lock`` writes it from ``requirements.txt`` with ``uv pip compile --generate-hashes``
for Lambda's platform). Chalice packages a copy of the project whose ``requirements.txt`` is the lock, so
pip downloads in hash-checking mode and an artifact can only contain the locked files.

Chalice ``pip download``s the Linux wheels, which needs PyPI the first time; it caches the result in
``.chalice/deployments/`` by the requirements' hash (the copy links to the project's cache), so later runs
work offline. ``--without-dependencies`` packages a copy with an empty requirements file: the same
template and app files, no network at all (enough to check the template).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "infra" / "resources.yaml"
LOCK = ROOT / "requirements.lock"
# Lambda's python3.11 runtime: Amazon Linux 2 on x86_64, glibc 2.26 -> manylinux2014 wheels.
LOCK_PLATFORM = ("x86_64-manylinux_2_17", "3.11")
CHALICE = Path(sys.executable).parent / "chalice"
PROJECT_FILES = ("app.py", "requirements.txt")
PROJECT_DIRS = ("chalicelib", ".chalice", "vendor")


class PackagingFailed(RuntimeError):
    pass


def package(out_dir: Path = ROOT / "dist", *, stage: str = "prod", with_dependencies: bool = True,
            timeout: int = 900) -> Path:
    """Run ``chalice package`` with the merge template into ``out_dir`` (emptied first); returns it."""
    out_dir = Path(out_dir).resolve()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    with tempfile.TemporaryDirectory(prefix="proxima-package-") as scratch:
        project = _copy_project(Path(scratch), LOCK.read_text() if with_dependencies else "")
        # The AWS region only fills the template's pseudo parameters; nothing is called.
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")}
        command = [str(CHALICE), "package", "--stage", stage, str(out_dir)]
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise PackagingFailed(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    template_path = out_dir / "sam.json"
    generated = json.loads(template_path.read_text())
    template_path.write_text(json.dumps(merge(generated, load_yaml(RESOURCES)), indent=2, sort_keys=True) + "\n")
    return out_dir


def is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key.startswith("Fn::") or key in ("Ref", "Condition")


def merge(generated: Any, extra: Any) -> Any:
    """``extra`` over ``generated``: mappings merge key by key; anything else, intrinsic functions
    included, replaces what it overrides."""
    if isinstance(generated, dict) and isinstance(extra, dict) and not is_intrinsic(extra) \
            and not is_intrinsic(generated):
        merged = dict(generated)
        for key, value in extra.items():
            merged[key] = merge(generated[key], value) if key in generated else value
        return merged
    return extra


def load_yaml(path: Path) -> dict[str, Any]:
    """A CloudFormation YAML file, short forms (``!Ref``, ``!GetAtt A.B``, ``!Sub`` ...) as their JSON forms."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag_suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", intrinsic)
    return yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass


def _copy_project(scratch: Path, requirements: str) -> Path:
    """The app files in a scratch directory, with ``requirements`` as its requirements.txt."""
    project = scratch / "project"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments")
    for name in PROJECT_DIRS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, project / name, ignore=ignore)
    shutil.copy2(ROOT / "app.py", project / "app.py")
    (project / "requirements.txt").write_text(requirements)
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(parents=True, exist_ok=True)
    (project / ".chalice" / "deployments").symlink_to(cache, target_is_directory=True)
    return project


def locked_versions(text: str) -> dict[str, str]:
    """``name==version`` lines of a pip requirements/lock file, names normalized (PEP 503)."""
    import re

    pins = {}
    for line in text.splitlines():
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line.strip())
        if found:
            pins[normalize(found.group(1))] = found.group(2)
    return pins


def normalize(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def zipped_versions(zip_path: Path) -> dict[str, str]:
    """Distribution name -> version of every ``*.dist-info`` in the deployment zip."""
    found = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            top = name.split("/", 1)[0]
            if top.endswith(".dist-info"):
                dist, _, version = top.removesuffix(".dist-info").rpartition("-")
                found[normalize(dist)] = version
    return found


def write_lock() -> None:
    """``make lock``: requirements.txt resolved for Lambda's platform, every file's hash pinned."""
    platform, python = LOCK_PLATFORM
    uv = Path(sys.executable).parent / "uv"
    subprocess.run([str(uv), "pip", "compile", str(ROOT / "requirements.txt"), "--generate-hashes",
                    "--python-platform", platform, "--python-version", python, "--no-header",
                    "--custom-compile-command", "make lock", "-o", str(LOCK)], check=True, cwd=ROOT)


def zip_report(zip_path: Path) -> dict[str, int]:
    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
    return {"zip_bytes": zip_path.stat().st_size, "unzipped_bytes": sum(i.file_size for i in infos),
            "files": len(infos)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Package Proxima Invoice for CloudFormation")
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--without-dependencies", action="store_true",
                        help="no wheels (offline); the template and app files only")
    parser.add_argument("--lock", action="store_true", help="rewrite requirements.lock from requirements.txt")
    args = parser.parse_args(argv)
    if args.lock:
        write_lock()
        return 0
    try:
        out = package(args.out, stage=args.stage, with_dependencies=not args.without_dependencies)
    except PackagingFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    report = zip_report(out / "deployment.zip")
    print(f"{out / 'sam.json'}\n{out / 'deployment.zip'}: {report['zip_bytes'] / 1e6:.1f} MB zipped, "
          f"{report['unzipped_bytes'] / 1e6:.1f} MB unzipped (Lambda limit 250 MB), {report['files']} files")
    print("next: aws cloudformation package ... && aws cloudformation deploy ... (README, Deploy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
