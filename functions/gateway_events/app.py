"""Gateway events: SQS-triggered; one message = one verified gateway event, applied to the ledger (issue 20)."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paybridge.config import settings
from paybridge.events import consumer
from paybridge.observability import logger, metrics, tracer
from paybridge.store import StoreError, queue

# A batch whose every message is early is not the function's error: each comes back on its own.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# An event about a payment its own request is still finishing comes back soon, not after the queue's timeout: 10 s,
# then three times longer each receive, up to 15 minutes. Ten receives (the queue's redrive) last about 80 minutes,
# past recovery's finishing a payment whose request died (STUCK_AFTER_SECONDS and the next clearing run).
NOT_YET_FIRST_SECONDS = 10
NOT_YET_MAX_SECONDS = 900


def not_yet_wait(receives: int) -> int:
    return min(NOT_YET_MAX_SECONDS, NOT_YET_FIRST_SECONDS * 3 ** max(0, receives - 1))


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    try:
        outcome = consumer.process(message)
    except consumer.NotYet:
        try:
            wait = not_yet_wait(int(record.attributes.approximate_receive_count or 1))
            queue.postpone(settings().gateway_events_queue_url, record.receipt_handle, wait)
        except StoreError:
            logger.warning("could not bring an early event back sooner", extra={"event_id": message.get("event_id")})
        raise
    logger.info("gateway event processed", extra={"event_id": message.get("event_id"), "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    # ReportBatchItemFailures: only the messages that raised come back (and, after five, go to the dead-letter queue).
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
