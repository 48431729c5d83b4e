"""A deployed stack's outputs and parameters (CloudFormation), read for the operators' tools (paybridge.ops.stack):
here, as every other AWS call, in store/."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from paybridge.store.client import aws_client
from paybridge.store.errors import StoreError


def described(name: str, region: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The stack's outputs and parameters, by key; StoreError when it cannot be read (no such stack, no
    credentials, not reachable), saying why."""
    try:
        answer = aws_client("cloudformation", read_timeout=10, region=region).describe_stacks(StackName=name)
    except (ClientError, BotoCoreError) as exc:
        raise StoreError(f"cloudformation: {exc}") from exc
    stack = answer["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    return outputs, parameters
