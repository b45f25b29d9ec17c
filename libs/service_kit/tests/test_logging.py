import io
import json
import logging

from opentelemetry import trace
from service_kit.settings import ServiceSettings
from service_kit.telemetry import configure_logging


def test_json_logs_carry_the_current_trace_id():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(ServiceSettings(service_name="scheduling"), stream)
        with trace.get_tracer("test").start_as_current_span("request") as span:
            logging.getLogger("scheduling").info("家访已登记")
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])

    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["message"] == "家访已登记"
    assert record["service"] == "scheduling"
    assert record["trace_id"] == format(span.get_span_context().trace_id, "032x")
