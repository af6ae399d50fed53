"""The deployable artifact (``make package`` → ``infra.package``): the merged CloudFormation template passes
cfn-lint and declares the queue, dead-letter queue, partial batch responses, schedules, secrets by
reference and least-privilege roles; the deployment zip carries the app and its templates and none of
the local/test tooling.

One package per test session. The real one ``pip download``s Linux wheels (PyPI the first time, then
chalice's cache in ``.chalice/deployments``). Without the network it falls back to the package without
dependencies: every template test still runs on it, the tests of the zip's dependencies are skipped
with the packaging error as the reason (``PROXIMA_REQUIRE_WHEELS=1`` turns that into a failure).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from chalicelib.config import Settings
from chalicelib.domain import jobs as job_policy
from infra import package as packager

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
SECRET_SETTINGS = ("DATABASE_URL", "CLICKHOUSE_URL", "AUTH_SECRET", "PLANFACT_API_KEY", "TELEGRAM_BOT_TOKEN",
                   "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "DIDOX_PARTNER_TOKEN", "DIDOX_PASSWORD",
                   "DIDOX_WEBHOOK_SECRET")
QUEUE_ARN = {"Fn::GetAtt": ["JobsQueue", "Arn"]}
SCHEDULES = {"MonthlyDrafts": "cron(0 2 1 * ? *)", "JobsRelay": "rate(2 minutes)",
             "DidoxPoll": "rate(15 minutes)", "PurgeExpiredTokens": "cron(15 3 * * ? *)",
             "DriftCheck": "cron(30 4 * * ? *)"}
DEV_ONLY = ("chdb", "pgserver", "moto", "pytest", "_pytest", "weasyprint", "pypdf", "tqdm", "cfnlint",
            "websocket", "pip", "setuptools", "click")  # the last three: chalice's CLI, not its runtime
RUNTIME = ("psycopg", "psycopg_pool", "clickhouse_connect", "jinja2", "requests", "boto3", "botocore",
           "aws_lambda_powertools", "pydantic", "jwt", "bcrypt")
DOCUMENT_FILES = ("chalicelib/templates/invoice.html", "chalicelib/templates/credit_note.html",
                  "chalicelib/templates/base.html", "chalicelib/templates/assets/invoice.css",
                  "chalicelib/templates/assets/DejaVuSansCondensed.ttf")


@dataclass
class Packaged:
    out: Path
    with_dependencies: bool
    why_not: str = ""

    @property
    def template(self) -> dict:
        return json.loads((self.out / "sam.json").read_text())

    @property
    def zip(self) -> Path:
        return self.out / "deployment.zip"


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> Packaged:
    out = tmp_path_factory.mktemp("package") / "dist"
    try:
        return Packaged(packager.package(out, timeout=600), with_dependencies=True)
    except packager.PackagingFailed as exc:
        if os.environ.get("PROXIMA_REQUIRE_WHEELS") == "1":
            raise
        return Packaged(packager.package(out, with_dependencies=False), with_dependencies=False,
                        why_not=str(exc)[-1500:])


@pytest.fixture
def template(packaged) -> dict:
    return packaged.template


def resources_of_type(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


def functions(template: dict) -> dict[str, dict]:
    return resources_of_type(template, "AWS::Serverless::Function")


def lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CFN_LINT), "--format", "parseable", str(path)], capture_output=True, text=True,
                          timeout=300)


# --- the template ----------------------------------------------------------------------------------

def test_the_merged_template_passes_cfn_lint(packaged):
    result = lint(packaged.out / "sam.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_cfn_lint_does_find_a_broken_template(packaged, tmp_path):
    # The same template with the queue the event source and policies point at taken out.
    broken = packaged.template
    del broken["Resources"]["JobsQueue"]
    (tmp_path / "sam.json").write_text(json.dumps(broken))
    result = lint(tmp_path / "sam.json")
    assert result.returncode != 0 and "JobsQueue" in result.stdout


def test_the_job_queue_has_a_dead_letter_queue_and_a_visibility_timeout_of_six_worker_timeouts(template):
    queue = template["Resources"]["JobsQueue"]
    dead_letter = template["Resources"]["JobsDeadLetterQueue"]
    assert queue["Type"] == dead_letter["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["QueueName"] == "proxima-invoice-jobs"
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}
    assert 1 < int(redrive["maxReceiveCount"]) <= 10
    # A message must expire in the dead-letter queue later than in the queue it came from.
    assert dead_letter["Properties"]["MessageRetentionPeriod"] > queue["Properties"]["MessageRetentionPeriod"]
    worker_timeout = functions(template)["JobsWorker"]["Properties"]["Timeout"]
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * worker_timeout


def test_the_worker_reports_partial_batch_failures_from_that_queue(template):
    worker = functions(template)["JobsWorker"]["Properties"]
    assert worker["Handler"] == "app.jobs_worker"
    [event] = worker["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == QUEUE_ARN  # the queue of this stack, not an ARN built from a name
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BatchSize"] == 10


def test_the_timeouts_fit_the_job_lock_and_the_api_gateway(template):
    timeouts = {name: f["Properties"]["Timeout"] for name, f in functions(template).items()}
    # A job's lock must outlive the worker that holds it, or a second worker could run it meanwhile.
    assert timeouts["JobsWorker"] < job_policy.LOCK_SECONDS
    assert all(0 < t <= 900 for t in timeouts.values()), timeouts
    assert timeouts["APIHandler"] <= 30  # API Gateway gives up after 29 s


def test_the_schedules(template):
    schedules = {name: [e["Properties"]["Schedule"] for e in f["Properties"].get("Events", {}).values()
                        if e["Type"] == "Schedule"]
                 for name, f in functions(template).items()}
    assert {name: found for name, found in schedules.items() if found} == {k: [v] for k, v in SCHEDULES.items()}


def effective_environment(template: dict) -> dict[str, dict]:
    """Each function's variables after SAM merges the Globals into it (cfn-lint's implementation of it)."""
    from cfnlint.template.transforms._sam_globals import merge_globals

    merged = merge_globals(json.loads(json.dumps(template)))
    return {name: f["Properties"]["Environment"]["Variables"] for name, f in functions(merged).items()}


def test_secrets_are_read_at_run_time_and_every_variable_is_a_setting(template):
    settings = {f.name.upper() for f in fields(Settings)}
    environments = effective_environment(template)
    for name, variables in environments.items():
        assert not set(SECRET_SETTINGS) & set(variables), name  # no secret sits in a function's environment
        assert variables["SECRETS_ID"] == {"Ref": "SecretName"}
        assert variables["JOBS_QUEUE_URL"] == {"Ref": "JobsQueue"}
        unknown = set(variables) - settings - {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
        assert not unknown, (name, unknown)  # a misspelt variable would silently leave a default
        if name != "PdfRenderer":
            assert variables["STAGE"] == "prod"
            assert variables["PDF_RENDERER"] == "lambda", name
    for name in ("APIHandler", "JobsWorker"):  # the two that render PDFs
        assert environments[name]["PDF_RENDERER_FUNCTION"] == {"Ref": "PdfRenderer"}
    assert environments["PdfRenderer"]["PDF_RENDERER"] == "weasyprint"
    assert "{{resolve:" not in json.dumps(template)  # nothing resolved into the template at deploy time


def test_the_pdf_renderer_is_a_container_image_function_built_from_the_repository(template):
    renderer = template["Resources"]["PdfRenderer"]["Properties"]
    assert renderer["PackageType"] == "Image" and renderer["ImageUri"] == {"Ref": "PdfRendererImageUri"}
    assert renderer["Timeout"] * 1000 < packager_read_timeout_ms()
    dockerfile = (packager.ROOT / "infra" / "renderer" / "Dockerfile").read_text()
    assert 'CMD ["chalicelib.pdf_function.handler"]' in dockerfile
    for source in re.findall(r"^COPY (.+) \$\{LAMBDA_TASK_ROOT\}", dockerfile, re.M):
        for path in source.split():
            assert (packager.ROOT / path).exists(), path  # the image is built from files that exist
    weasyprint_pin = re.search(r"weasyprint==([\d.]+)", dockerfile).group(1)
    assert f"weasyprint=={weasyprint_pin}" in (packager.ROOT / "requirements-dev.txt").read_text()


def packager_read_timeout_ms() -> float:
    from chalicelib.adapters.pdf import LambdaRenderer

    return LambdaRenderer("f").read_timeout * 1000


def test_every_stage_is_coherent_with_the_job_lock():
    config = json.loads((packager.ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        worker = settings["lambda_functions"]["jobs-worker"]
        assert worker["lambda_timeout"] < job_policy.LOCK_SECONDS, stage
        assert worker["reserved_concurrency"] >= 5, stage  # WorkerMaximumConcurrency's default
        assert settings["log_retention_in_days"] > 0, stage
        assert settings["environment_variables"]["PDF_RENDERER"] == "lambda", stage
        assert settings["autogen_policy"] is False, stage


def statements(role: dict) -> list[dict]:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_each_function_has_a_least_privilege_role(template):
    roles = resources_of_type(template, "AWS::IAM::Role")
    granted = {}
    for name, function in functions(template).items():
        role_name = function["Properties"]["Role"]["Fn::GetAtt"][0]
        role = roles[role_name]
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "lambda.amazonaws.com"}
        assert "ManagedPolicyArns" not in role["Properties"]
        actions = set()
        for statement in statements(role):
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                assert "*" not in action, (name, action)
                actions.add(action)
            for resource in as_list(statement["Resource"]):
                assert resource != "*", (name, statement)
                if any(a.startswith("sqs:") for a in as_list(statement["Action"])):
                    assert resource == QUEUE_ARN, (name, statement)
                if any(a.startswith("lambda:") for a in as_list(statement["Action"])):
                    assert resource == {"Fn::GetAtt": ["PdfRenderer", "Arn"]}, (name, statement)
                if isinstance(resource, dict) and "Fn::Sub" in resource:
                    assert re.fullmatch(r"arn:\$\{AWS::Partition\}:(logs|ses|secretsmanager):\$\{AWS::Region\}:"
                                        r"\$\{AWS::AccountId\}:(log-group:/aws/lambda/\*|identity/\$\{SesIdentity\}"
                                        r"|secret:\$\{SecretName\}-\?{6})", resource["Fn::Sub"])
        granted[name] = actions - {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    secret, render = "secretsmanager:GetSecretValue", "lambda:InvokeFunction"
    assert granted["JobsWorker"] == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                     "sqs:GetQueueAttributes", "sqs:SendMessage", "ses:SendRawEmail", secret, render}
    assert granted["APIHandler"] == {"sqs:SendMessage", secret, render}
    for name in ("JobsRelay", "DidoxPoll", "MonthlyDrafts", "PurgeExpiredTokens", "DriftCheck"):
        assert granted[name] == {"sqs:SendMessage", secret}, name
    assert granted["PdfRenderer"] == set()  # logs only


def test_parameters_and_outputs(template):
    parameters = template["Parameters"]
    for required in ("PublicBaseUrl", "SesSender", "SesIdentity", "PdfRendererImageUri"):
        assert "Default" not in parameters[required], required  # the deploy must name them
    assert {"JobsQueueUrl", "JobsDeadLetterQueueUrl", "EndpointURL"} <= set(template["Outputs"])


# --- the zip -------------------------------------------------------------------------------------

def top_level(names: set[str]) -> set[str]:
    return {name.split("/", 1)[0].removesuffix(".py") for name in names}


def test_the_zip_carries_the_app_and_its_document_templates(packaged):
    with zipfile.ZipFile(packaged.zip) as archive:
        names = set(archive.namelist())
    assert {"app.py", "chalice/app.py", "chalicelib/services/queue_worker.py", *DOCUMENT_FILES} <= names
    assert not [n for n in names if n.startswith(("tests/", "infra/", "bench/", ".chalice/"))]


def test_the_zip_has_the_runtime_dependencies_and_no_dev_tooling(packaged, capsys):
    report = packager.zip_report(packaged.zip)
    with capsys.disabled():
        print(f"\ndeployment.zip: {report['zip_bytes'] / 1e6:.1f} MB zipped, "
              f"{report['unzipped_bytes'] / 1e6:.1f} MB unzipped, {report['files']} files"
              + ("" if packaged.with_dependencies else " (without dependencies: no PyPI)"))
    if not packaged.with_dependencies:
        pytest.skip(f"the wheels could not be downloaded (needs PyPI once):\n{packaged.why_not}")
    with zipfile.ZipFile(packaged.zip) as archive:
        packages = top_level(set(archive.namelist()))
    assert not packages & set(DEV_ONLY), packages & set(DEV_ONLY)
    assert set(RUNTIME) <= packages, set(RUNTIME) - packages
    assert report["unzipped_bytes"] < 250 * 1024 * 1024  # the Lambda limit for code unzipped


def test_the_zip_holds_exactly_the_locked_versions(packaged):
    """Every distribution in the zip is in requirements.lock at the same version, and nothing else is."""
    if not packaged.with_dependencies:
        pytest.skip(f"the wheels could not be downloaded (needs PyPI once):\n{packaged.why_not}")
    locked = packager.locked_versions(packager.LOCK.read_text())
    assert packager.zipped_versions(packaged.zip) == locked


def test_the_lock_pins_every_file_by_hash_and_agrees_with_requirements_txt():
    lock = packager.LOCK.read_text()
    locked = packager.locked_versions(lock)
    wanted = packager.locked_versions((packager.ROOT / "requirements.txt").read_text())
    assert wanted and {name: locked.get(name) for name in wanted} == wanted, "run `make lock`"
    for block in lock.split("\n"):
        if "==" in block and not block.startswith((" ", "#")):
            assert block.rstrip().endswith("\\"), f"{block}: no hash follows"
    assert lock.count("--hash=sha256:") >= len(locked)


def test_locked_versions_reads_pins_and_ignores_the_rest():
    text = "a-b==1.0 \\\n    --hash=sha256:00\n# c==2\nD_E[x]==3.1 ; python_version>'3'\n-r other.txt\n"
    assert packager.locked_versions(text) == {"a-b": "1.0", "d-e": "3.1"}


# --- console hosting (issue 13): S3 + CloudFront, /api/* to the API stage ------------------------

MANAGED_CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
MANAGED_ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_the_generation_runs_last_delivery_is_the_queues_redrive_threshold(template):
    from chalicelib.domain import generation_runs

    redrive = template["Resources"]["JobsQueue"]["Properties"]["RedrivePolicy"]
    assert int(redrive["maxReceiveCount"]) == generation_runs.MAX_RECEIVES


def test_the_app_bucket_is_private_and_read_only_by_the_distribution(template):
    resources = template["Resources"]
    bucket = resources["AppBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    allow = [s for s in resources["AppBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
             if s["Effect"] == "Allow"]
    assert len(allow) == 1 and allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    source = allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${AppDistribution}")
    oac = resources["AppOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3", "always", "sigv4")


def test_the_distribution_serves_the_app_and_sends_api_to_the_stage(template):
    resources = template["Resources"]
    config = resources["AppDistribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["app"]["DomainName"] == {"Fn::GetAtt": ["AppBucket", "RegionalDomainName"]}
    assert origins["app"]["OriginAccessControlId"] == {"Fn::GetAtt": ["AppOriginAccessControl", "Id"]}
    api = origins["api"]
    assert "${RestAPI}.execute-api." in api["DomainName"]["Fn::Sub"]
    stage = resources["RestAPI"]["Properties"]["StageName"]
    assert api["OriginPath"] == f"/{stage}"  # /api/invoices -> the stage's /api/invoices route
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert resources["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"

    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "app" and default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["AppSpaRewrite", "FunctionARN"]}}]
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    to_api = behaviours["/api/*"]
    assert to_api["TargetOriginId"] == "api" and to_api["CachePolicyId"] == MANAGED_CACHING_DISABLED
    assert to_api["OriginRequestPolicyId"] == MANAGED_ALL_VIEWER_EXCEPT_HOST  # Authorization, If-Match...
    assert set(to_api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    # API errors must reach the client as they are: no distribution-wide error page rewriting
    assert "CustomErrorResponses" not in config

    def cache_control(policy):
        items = resources[policy["Ref"]]["Properties"]["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"]["Items"]
        return {i["Header"]: i["Value"] for i in items}["Cache-Control"]

    assert cache_control(behaviours["/assets/*"]["ResponseHeadersPolicyId"]) == "public, max-age=31536000, immutable"
    assert cache_control(default["ResponseHeadersPolicyId"]) == "no-cache"
    assert {"AppBucketName", "AppDistributionId", "AppUrl"} <= set(template["Outputs"])


@pytest.mark.parametrize("uri, rewritten", [
    ("/", "/index.html"), ("/invoices", "/index.html"), ("/invoices/9c1d7e0a", "/index.html"),
    ("/clients/ACME-SUP/", "/index.html"), ("/assets/index-Bx3k9_Qa.js", "/assets/index-Bx3k9_Qa.js"),
    ("/favicon.svg", "/favicon.svg"), ("/api/health", "/api/health"),
])
def test_the_spa_rewrite_function_sends_client_routes_to_index_html(template, uri, rewritten):
    import shutil

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the CloudFront function is JavaScript")
    code = template["Resources"]["AppSpaRewrite"]["Properties"]["FunctionCode"]
    script = code + f"\nprocess.stdout.write(handler({{request: {{uri: {json.dumps(uri)}}}}}).uri);"
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == rewritten
