"""One trace id across Python servers: context, middleware, outgoing propagation, OpenTelemetry."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from joblogs.trace import (
    TraceMiddleware,
    TraceWSGIMiddleware,
    child_span_scope,
    continue_trace,
    current_trace,
    httpx_event_hooks,
    job_trace_env,
    otel_context,
    sqs_trace_attributes,
    start_trace,
    trace_from_env,
    trace_from_headers,
    trace_from_sqs_message,
    traced_requests_session,
    use_trace,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"


def test_continues_a_valid_traceparent_in_a_child_span_and_starts_a_new_trace_otherwise() -> None:
    child = continue_trace(TRACEPARENT, "congo=t61rcWkgMzE")
    assert (child.trace_id, child.parent_span_id, child.trace_state) == (TRACE, PARENT, "congo=t61rcWkgMzE")
    assert child.span_id != PARENT
    for bad in ("garbage", f"00-{'0' * 32}-{PARENT}-01", f"ff-{TRACE}-{PARENT}-01", f"{TRACEPARENT}-extra", None):
        fresh = continue_trace(bad, "congo=t61rcWkgMzE", request_id="req-1")
        assert fresh.trace_id != TRACE and fresh.parent_span_id is None and fresh.trace_state is None
        assert fresh.request_id == "req-1" and fresh.trace_flags == 1


def test_refuses_a_repeated_traceparent_and_joins_repeated_tracestate_headers() -> None:
    assert trace_from_headers({"traceparent": [TRACEPARENT, TRACEPARENT]}).trace_id != TRACE
    joined = trace_from_headers({"TraceParent": TRACEPARENT, "tracestate": ["a=1", "b=2"]})
    assert (joined.trace_id, joined.trace_state) == (TRACE, "a=1,b=2")


def test_keeps_each_of_many_concurrent_tasks_in_its_own_trace_across_awaits() -> None:
    async def request(i: int) -> tuple[str, str]:
        trace = start_trace()
        with use_trace(trace):
            await asyncio.sleep(0.001 * (i % 5))
            seen = await asyncio.create_task(asyncio.sleep(0, result=current_trace()))
            assert seen is not None
            return trace.trace_id, seen.trace_id

    async def main() -> list[tuple[str, str]]:
        return await asyncio.gather(*(request(i) for i in range(50)))

    assert all(a == b for a, b in asyncio.run(main()))
    assert current_trace() is None


def test_hands_the_context_to_threads_started_with_it_and_nests_child_spans() -> None:
    trace = start_trace()
    seen: list[Any] = []
    with use_trace(trace):
        with child_span_scope() as child:
            assert (child.trace_id, child.parent_span_id) == (trace.trace_id, trace.span_id)
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(lambda: seen.append(current_trace()),))
        thread.start()
        thread.join()
    assert seen == [trace]


def test_carries_the_trace_through_sqs_attributes_and_a_job_environment() -> None:
    trace = continue_trace(TRACEPARENT, "a=1", "req-7")
    attributes = sqs_trace_attributes(trace)
    assert attributes["traceparent"] == {"DataType": "String", "StringValue": f"00-{TRACE}-{trace.span_id}-01"}
    received = trace_from_sqs_message({"MessageAttributes": attributes})
    assert (received.trace_id, received.parent_span_id, received.trace_state, received.request_id) == (TRACE, trace.span_id, "a=1", "req-7")
    lambda_record = {"messageAttributes": {k: {"stringValue": v["StringValue"]} for k, v in attributes.items()}}
    assert trace_from_sqs_message(lambda_record).trace_id == TRACE
    env = job_trace_env(trace)
    assert env == {"TRACEPARENT": f"00-{TRACE}-{trace.span_id}-01", "TRACESTATE": "a=1"}
    assert trace_from_env(env).parent_span_id == trace.span_id


def test_round_trips_sqs_attributes_through_a_real_queue(moto: Any) -> None:
    sqs = moto.client("sqs")
    # A queue of this run: the moto server may be shared (npm test passes the local stack's) and outlive it.
    url = sqs.create_queue(QueueName=f"joblogs-trace-test-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    try:
        trace = start_trace()
        sqs.send_message(QueueUrl=url, MessageBody="{}", MessageAttributes=sqs_trace_attributes(trace))
        message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"][0]
        assert trace_from_sqs_message(message).trace_id == trace.trace_id
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_asgi_middleware_serves_a_starlette_request_in_the_callers_trace_and_answers_with_traceresponse() -> None:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def handler(_request: Any) -> JSONResponse:
        trace = current_trace()
        assert trace is not None
        return JSONResponse({"trace": trace.trace_id, "span": trace.span_id, "parent": trace.parent_span_id})

    app = Starlette(routes=[Route("/", handler)])
    app.add_middleware(TraceMiddleware)
    with TestClient(app) as client:
        answer = client.get("/", headers={"traceparent": TRACEPARENT, "x-request-id": "req-42"})
        body = answer.json()
        assert (body["trace"], body["parent"]) == (TRACE, PARENT)
        assert answer.headers["traceresponse"] == f"00-{TRACE}-{body['span']}-01"
        assert answer.headers["x-request-id"] == "req-42"
        fresh = client.get("/", headers={"traceparent": "nonsense"})
        assert fresh.json()["trace"] != TRACE and "x-request-id" not in fresh.headers


def test_wsgi_middleware_serves_a_flask_request_in_the_callers_trace() -> None:
    from flask import Flask, jsonify

    app = Flask(__name__)

    @app.get("/")
    def index() -> Any:
        trace = current_trace()
        assert trace is not None
        return jsonify(trace=trace.trace_id, span=trace.span_id)

    app.wsgi_app = TraceWSGIMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    answer = app.test_client().get("/", headers={"traceparent": TRACEPARENT})
    assert answer.json is not None and answer.json["trace"] == TRACE
    assert answer.headers["traceresponse"] == f"00-{TRACE}-{answer.json['span']}-01"


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A real local HTTP server that answers with the trace headers it received."""

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"{self.headers.get('traceparent')}|{self.headers.get('x-request-id')}".encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_requests_and_httpx_send_the_current_span_as_the_callees_parent(echo_server: str) -> None:
    import httpx

    trace = continue_trace(TRACEPARENT, request_id="req-9")
    session = traced_requests_session()
    with use_trace(trace):
        assert session.get(echo_server).text == f"00-{TRACE}-{trace.span_id}-01|req-9"
        assert session.get(echo_server, headers={"traceparent": "mine"}).text == "mine|req-9"
        with httpx.Client(event_hooks=httpx_event_hooks()) as client:
            assert client.get(echo_server).text == f"00-{TRACE}-{trace.span_id}-01|req-9"
    assert session.get(echo_server).text == "None|None"


def test_follows_the_active_opentelemetry_span_and_hands_ours_to_opentelemetry() -> None:
    from opentelemetry import context as otel_ctx
    from opentelemetry import trace as otel_trace

    ours = start_trace()
    token = otel_ctx.attach(otel_context(ours))
    try:
        followed = current_trace()
        assert followed is not None and (followed.trace_id, followed.span_id) == (ours.trace_id, ours.span_id)
        span_context = otel_trace.get_current_span().get_span_context()
        assert f"{span_context.trace_id:032x}" == ours.trace_id
        other = start_trace()
        with use_trace(other):
            assert current_trace() == other  # ours wins over OpenTelemetry's
    finally:
        otel_ctx.detach(token)
    assert current_trace() is None
