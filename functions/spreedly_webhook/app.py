"""Spreedly webhook: POST /webhooks/spreedly/{tenant_id}, a callback Spreedly sends a tenant's callback URL (issue 20).

API Gateway sends this function its one route only, so there is no router here (paybridge.api.http says why)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.api.http import proxy_response, request_from
from paybridge.events.webhooks import spreedly
from paybridge.observability import logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return proxy_response(spreedly(request_from(event)))
