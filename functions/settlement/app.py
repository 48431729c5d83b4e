"""Settlement: EventBridge-scheduled; recovers stuck payments, clears pending ones, writes the day's batches."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.observability import logger, metrics, tracer
from paybridge.operations import settlement
from paybridge.providers.billiecart.payouts import pay_out

# Providers' own steps after their payments settle (operations/settlement.py's seam): Billiecart writes its ABA files.
STEPS: settlement.Steps = {"billiecart": pay_out}


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    return settlement.run(event, steps=STEPS).as_dict()
