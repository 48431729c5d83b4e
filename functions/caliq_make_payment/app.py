"""Caliq POST api/v1/MakePayment (seed 000): decode, call, encode — all of it in the layer."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.api.http import request_from, to_response
from paybridge.observability import logger, metrics, tracer
from paybridge.providers.caliq.service import make_payment

app = APIGatewayRestResolver()


@app.post("/api/v1/MakePayment")
def post_make_payment() -> Response[str]:
    return to_response(make_payment(request_from(app.current_event)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return app.resolve(event, context)
