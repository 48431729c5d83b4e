"""Caliq GET api/v1/PaymentTypes: the PaymentTypeID values MakePayment takes (seed 000 points to this call)."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.api.http import request_from, to_response
from paybridge.observability import logger, metrics, tracer
from paybridge.providers.caliq.service import payment_types

app = APIGatewayRestResolver()


@app.get("/api/v1/PaymentTypes")
def get_payment_types() -> Response[str]:
    return to_response(payment_types(request_from(app.current_event)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return app.resolve(event, context)
