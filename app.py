"""The Chalice application: wiring only (routes, middleware, authorizer, event handlers). No client is made here.

Routes come from the generated `chalicelib/route_manifest.py` (`python -m scripts.route_manifest`): each gets a
proxy view, and a slice's route module is imported on the first request to one of its routes, so a cold start
imports Chalice and the authorizer, not the slices' schemas and models."""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Chalice, CloudWatchEvent, DynamoDBEvent, Rate, Response, SQSEvent

from chalicelib import slices
from chalicelib.core import audit_archive, jobs
from chalicelib.core.authorizer import auth_blueprint, jwt_authorizer
from chalicelib.core.middleware import register_middleware
from chalicelib.route_manifest import ROUTE_TABLE

app = Chalice(app_name="ningxiang-governance")
app.register_blueprint(auth_blueprint)
register_middleware(app)
# spreadsheets travel base64 through API Gateway (a GBK CSV is not UTF-8 text either)
app.api.binary_types.extend(
    [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv",
        "application/vnd.ms-excel",
        "application/zip",  # a grid workbook as CSV files
        "application/x-zip-compressed",
    ]
)  # the import route's MEDIA_TYPES (tests/unit/test_route_manifest.py checks they are all here)


def _proxy(module: str, route_id: str, name: str) -> Callable[..., Response]:
    def view(**path: str) -> Response:
        return slices.serve(module, route_id, app.current_request, app.lambda_context, path)

    view.__name__ = name
    return view


for module, method, path, name, public, file_body in ROUTE_TABLE:
    app.route(
        path,
        methods=[method],
        name=name,
        authorizer=None if public else jwt_authorizer,
        # a file route checks the media type itself, to answer 415 in the service's error shape
        content_types=["*/*"] if file_body else ["application/json"],
    )(_proxy(module, f"{method} {path}", name))


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


@app.schedule(Rate(1, unit=Rate.HOURS), name="scoring_notice_sweep")
def scoring_notice_sweep(event: CloudWatchEvent) -> None:
    """Hourly: 三比 entries whose public notice (公示) has ended become final."""
    from chalicelib.scoring.service import sweep_notices  # noqa: PLC0415 - loaded when the schedule fires

    sweep_notices()
