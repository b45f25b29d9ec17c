"""OpenTelemetry traces and metrics, and JSON logs that carry the trace id.

Kafka spans come from FastStream's telemetry middleware (see ``messaging``), which writes the
trace context into record headers and continues it in the consumer. The change log stores the
context of the request that caused an event, so the trace survives the relay's later publish.
"""

import logging
import sys
from typing import Any

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter

from service_kit.settings import ServiceSettings


def configure_telemetry(settings: ServiceSettings) -> TracerProvider:
    """Install tracer and meter providers once per process; later calls reuse them.

    Tests install a provider with an in-memory exporter first; services then share it.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current
    else:
        resource = Resource.create({"service.name": settings.service_name})
        provider = TracerProvider(resource=resource)
        readers = []
        if settings.otel_exporter_otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
    if not PymongoInstrumentor().is_instrumented_by_opentelemetry:
        PymongoInstrumentor().instrument(tracer_provider=provider)
    return provider


# A calendar feed's address is its secret (portal: /calendar/<token>.ics): a span would keep it.
UNTRACED_URLS = "healthz,readyz,/calendar/[^/]+[.]ics"


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"]
    )


class TraceContextFilter(logging.Filter):
    """Adds the current trace and span ids to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
        record.span_id = format(context.span_id, "016x") if context.is_valid else None
        return True


def configure_logging(settings: ServiceSettings, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s %(span_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": settings.service_name},
        )
    )
    handler.addFilter(TraceContextFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
