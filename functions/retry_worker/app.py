"""Retry worker: SQS-triggered; one message = one more attempt at a card charge the gateway did not answer."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.observability import logger, metrics, tracer
from paybridge.operations import retry

processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    outcome = retry.process(json.loads(record.body))
    logger.info("retry message processed", extra={"message_id": record.message_id, "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    # ReportBatchItemFailures: only the messages that raised come back; the others are done.
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
