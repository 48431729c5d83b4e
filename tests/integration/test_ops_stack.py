"""The operators' tools point at a deployed stack by its CloudFormation outputs and parameters (paybridge.ops.stack),
read through the store (moto's CloudFormation)."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from moto import mock_aws

from conftest import reset_caches, set_aws_env
from paybridge.ops import stack

pytestmark = pytest.mark.integration

TEMPLATE = {
    "Parameters": {"ClearingDays": {"Type": "String", "Default": "3"}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {
        "LedgerTableName": {"Value": "paybridge-ledger-prod"},
        "RetryDeadLetterQueueUrl": {"Value": {"Ref": "Queue"}},
    },
}


def test_a_stack_s_outputs_and_parameters_become_the_functions_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    set_aws_env(monkeypatch)
    for variable in (*stack.OUTPUTS.values(), *stack.PARAMETERS.values()):
        monkeypatch.setenv(variable, "before")  # restored after the test, whatever `use` sets
    with mock_aws():
        boto3.client("cloudformation").create_stack(
            StackName="paybridge",
            TemplateBody=json.dumps(TEMPLATE),
            Parameters=[{"ParameterKey": "ClearingDays", "ParameterValue": "5"}],
        )

        stack.cloudformation("paybridge", "eu-west-1")

        assert os.environ["TABLE_NAME"] == "paybridge-ledger-prod"
        [queue_url] = boto3.client("sqs").list_queues()["QueueUrls"]
        assert os.environ["RETRY_DLQ_URL"] == queue_url
        assert os.environ["CLEARING_DAYS"] == "5"
        with pytest.raises(stack.StackNotFound, match="nobody"):
            stack.cloudformation("nobody", "eu-west-1")
    reset_caches()
