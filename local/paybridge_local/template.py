"""template.yaml as the single source of the local stack: its tables, its routes, its environment."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]  # local/paybridge_local/template.py
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...) as their long forms."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return document


def resources(kind: str, template: Mapping[str, Any] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in (template or load())["Resources"].items():
        if resource["Type"] == kind:
            yield name, resource


def resolve(value: Any, names: Mapping[str, str], template: Mapping[str, Any] | None = None) -> Any:
    """A property with its Refs resolved: resources to their local names, parameters to their defaults."""
    template = template or load()
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref in names:
            return names[ref]
        return str(template.get("Parameters", {}).get(ref, {}).get("Default", ref))
    if isinstance(value, dict):
        return {k: resolve(v, names, template) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, names, template) for v in value]
    return value


@dataclass(frozen=True)
class Route:
    prefix: str  # "/caliq": the provider's RestApi, mounted locally under its name
    method: str
    path: str  # as API Gateway sees it, "/api/v1/MakePayment"
    function: str  # logical id
    code_dir: Path
    handler: str  # "app.handler"
    # Behind a Cognito user pool authorizer (the API's default, unless the event says Authorizer: NONE).
    authorized: bool = False

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in (method, "ANY"):
            return None
        if self.path == "/" and path == self.prefix:
            return {}  # the API's root, as API Gateway serves a stage's root with or without its slash
        # A greedy {name+} first (re.escape wrote it \{name\+\}), then each {name}.
        pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.prefix + self.path))
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", pattern)
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


def routes(template: Mapping[str, Any] | None = None) -> list[Route]:
    """Every Api event of every function. A RestApi named `<Provider>Api` is mounted at `/<provider>`."""
    found = []
    for name, function in resources("AWS::Serverless::Function", template):
        props = function["Properties"]
        for event in props.get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            api = event["Properties"]["RestApiId"]["Ref"]
            default = (load() if template is None else template)["Resources"][api]["Properties"].get("Auth", {})
            chosen = event["Properties"].get("Auth", {}).get("Authorizer", default.get("DefaultAuthorizer"))
            found.append(
                Route(
                    prefix="/" + api.removesuffix("Api").lower(),
                    method=event["Properties"]["Method"].upper(),
                    path=event["Properties"]["Path"],
                    function=name,
                    code_dir=ROOT / props["CodeUri"],
                    handler=props["Handler"],
                    authorized=chosen not in (None, "NONE"),
                )
            )
    return found


def environment(names: Mapping[str, str], template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The functions' shared environment (Globals), resolved for the local stack, where one process runs them all;
    with each function's own variables that name a resource of the template (a bucket), so they find it."""
    template = template or load()
    variables = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    for _, function in resources("AWS::Serverless::Function", template):
        for name, value in function["Properties"].get("Environment", {}).get("Variables", {}).items():
            if isinstance(value, dict) and value.get("Ref") in template["Resources"]:
                variables[name] = value
    return {k: str(resolve(v, names, template)) for k, v in variables.items()}


def create_buckets(client: Any, names: dict[str, str], template: Mapping[str, Any] | None = None) -> None:
    """Create every S3 bucket of the template with its own definition (encryption, public access block,
    versioning); `names` gives (or gets) each bucket's local name."""
    for name, resource in resources("AWS::S3::Bucket", template):
        props = resource.get("Properties", {})
        bucket = names.setdefault(name, f"paybridge-{name.lower()}")
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": client.meta.region_name})
        if "BucketEncryption" in props:
            # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault.
            rules = [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            client.put_public_access_block(
                Bucket=bucket, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "VersioningConfiguration" in props:
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=props["VersioningConfiguration"])


def create_queues(client: Any, names: dict[str, str], template: Mapping[str, Any] | None = None) -> None:
    """Create every SQS queue of the template (dead-letter queues first); `names` gets each queue's URL, as Ref
    gives it, and `<Queue>.Arn` its ARN."""
    queues = dict(resources("AWS::SQS::Queue", template))
    ordered = sorted(queues, key=lambda n: "RedrivePolicy" in queues[n].get("Properties", {}))
    for name in ordered:
        props = queues[name].get("Properties", {})
        attributes = {k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod") if k in props}
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            policy = {"deadLetterTargetArn": names[f"{target}.Arn"], "maxReceiveCount": redrive["maxReceiveCount"]}
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        names[name] = url
        names[f"{name}.Arn"] = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]


@dataclass(frozen=True)
class Trigger:
    """A function's non-HTTP event: an SQS queue it is fed from, or a schedule with its input."""

    function: str
    code_dir: Path
    handler: str
    kind: str  # "SQS" or "Schedule"
    source: str  # the queue's logical id, or the schedule expression
    payload: str = ""  # a schedule's Input


def triggers(template: Mapping[str, Any] | None = None) -> list[Trigger]:
    found = []
    for name, function in resources("AWS::Serverless::Function", template):
        props = function["Properties"]
        for event in props.get("Events", {}).values():
            kind, event_props = event["Type"], event["Properties"]
            if kind == "SQS":
                source = event_props["Queue"]["Fn::GetAtt"][0]
            elif kind == "Schedule":
                source = event_props["Schedule"]
            else:
                continue
            found.append(
                Trigger(name, ROOT / props["CodeUri"], props["Handler"], kind, source, event_props.get("Input", ""))
            )
    return found


def create_tables(client: Any, names: Mapping[str, str], template: Mapping[str, Any] | None = None) -> None:
    """Create every DynamoDB table of the template with its own definition (keys, GSIs, TTL, PITR)."""
    for name, resource in resources("AWS::DynamoDB::Table", template):
        props = resource["Properties"]
        table = names[name]
        client.create_table(
            TableName=table,
            BillingMode=props["BillingMode"],
            AttributeDefinitions=props["AttributeDefinitions"],
            KeySchema=props["KeySchema"],
            GlobalSecondaryIndexes=props.get("GlobalSecondaryIndexes", []),
            SSESpecification={"Enabled": props.get("SSESpecification", {}).get("SSEEnabled", False)},
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=table, TimeToLiveSpecification=ttl)
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr:
            try:
                client.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification=pitr)
            except client.exceptions.ClientError as exc:
                # DynamoDB Local keeps no backups and does not implement the call; moto and AWS do.
                if exc.response.get("Error", {}).get("Code") != "UnknownOperationException":
                    raise
