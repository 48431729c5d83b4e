"""Emersion GET API/Services/CreatePayment?wsdl: the service description SOAP toolkits load (seed 002)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.api.http import proxy_response, request_from
from paybridge.observability import logger, metrics, tracer
from paybridge.providers.emersion.service import service_description


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return proxy_response(service_description(request_from(event)))
