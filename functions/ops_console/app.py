"""The operators' console (OpsApi, behind its Cognito authorizer): the page and its JSON API, all of it in the
layer (paybridge/ops/console.py)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.observability import logger, metrics, tracer
from paybridge.ops import console


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return console.handler(event)
