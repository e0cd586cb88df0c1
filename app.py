"""The Chalice application: wiring only (blueprints, middleware, authorizer). No client is made here."""

from __future__ import annotations

from chalice.app import Chalice, DynamoDBEvent, SQSEvent

from chalicelib.core import audit_archive, jobs
from chalicelib.core.authorizer import auth_blueprint
from chalicelib.core.middleware import register_middleware
from chalicelib.slices import blueprints

app = Chalice(app_name="ningxiang-governance")
app.register_blueprint(auth_blueprint)
for slice_api in blueprints():
    app.register_blueprint(slice_api.blueprint)
register_middleware(app)
# spreadsheets travel base64 through API Gateway (a GBK CSV is not UTF-8 text either)
app.api.binary_types.extend(
    ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv", "application/vnd.ms-excel"]
)


@app.on_sqs_message(queue=jobs.deploy_queue_name(), batch_size=1)
def run_jobs(event: SQSEvent) -> None:
    """Background jobs (large imports): each message names a job; locally `jobs.drain()` runs the same code."""
    for record in event:
        jobs.handle_message(record.body)


@app.on_dynamodb_record(stream_arn=audit_archive.deploy_stream_arn(), batch_size=100, starting_position="TRIM_HORIZON")
def archive_audit(event: DynamoDBEvent) -> None:
    """Audit events to the write-once archive bucket (S3 Object Lock); a failure retries the batch."""
    for record in event:
        audit_archive.archive_record(record.event_name, record.new_image)
