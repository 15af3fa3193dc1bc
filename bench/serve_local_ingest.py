"""Ingest speed of serve-local: OTLP/HTTP protobuf batches shaped like Langfuse SDK 5 exports.

    uv run python -m bench.serve_local_ingest --spans 40960 --runs 3 [--senders 2] [--plain]

Each batch holds 512 generation spans (the SDK's default batch) with the attributes SDK 5.0.4
sends for an instrumented call inside propagate_attributes (user, session, tags, trace name,
trace + observation metadata JSON-encoded, model, parameters, input/output, usage_details,
cost_details), gzip-compressed like SDK 5 does by default. Bodies are built before the clock
starts; the time covers HTTP, gunzip, protobuf decode, mapping, cost, encoding and the SQLite
commit (each 200 is sent only after its batch is committed).
"""

from __future__ import annotations

import argparse
import gzip
import random
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from bench.serve_local_common import machine, running_server, summary

BATCH = 512
START_NS = 1_795_478_400_000_000_000


def _kv(key: str, value: str | list[str]) -> KeyValue:
    if isinstance(value, list):
        array = ArrayValue(values=[AnyValue(string_value=v) for v in value])
        return KeyValue(key=key, value=AnyValue(array_value=array))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _span(rng: random.Random, index: int) -> Span:
    feature = rng.choice(("search", "chat", "summarize", "classify"))
    team = rng.choice(("growth", "platform", "support"))
    prompt, output = rng.randint(50, 3000), rng.randint(5, 600)
    attributes = [
        _kv("user.id", f"user-{rng.randrange(5000)}"),
        _kv("session.id", f"sess-{rng.getrandbits(40):010x}"),
        _kv("langfuse.trace.metadata.feature", f'"{feature}"'),
        _kv("langfuse.trace.metadata.team", f'"{team}"'),
        _kv("langfuse.trace.tags", [f"feature:{feature}", f"team:{team}"]),
        _kv("langfuse.trace.name", f"{feature}-request"),
        _kv("langfuse.observation.type", "generation"),
        _kv("langfuse.observation.model.name", "gpt-4o-mini"),
        _kv("langfuse.observation.model.parameters", '{"temperature": 0.2, "max_tokens": 256}'),
        _kv("langfuse.observation.input", '[{"role": "user", "content": "What is 2+2?"}]'),
        _kv("langfuse.observation.output", '{"role": "assistant", "content": "4"}'),
        _kv("langfuse.observation.metadata.feature", f'"{feature}"'),
        _kv("langfuse.observation.metadata.team", f'"{team}"'),
        _kv(
            "langfuse.observation.usage_details",
            f'{{"input": {prompt}, "output": {output}, "total": {prompt + output}}}',
        ),
        _kv(
            "langfuse.observation.cost_details",
            f'{{"input": {prompt * 1.5e-7}, "output": {output * 6e-7}, '
            f'"total": {prompt * 1.5e-7 + output * 6e-7}}}',
        ),
    ]
    start = START_NS + index * 1_000_000
    return Span(
        trace_id=rng.randbytes(16),
        span_id=rng.randbytes(8),
        parent_span_id=rng.randbytes(8),
        name="llm-call",
        kind=1,
        start_time_unix_nano=start,
        end_time_unix_nano=start + 800_000_000,
        attributes=attributes,
    )


def build_bodies(total_spans: int, compress: bool) -> list[bytes]:
    rng = random.Random(7)
    bodies = []
    for first in range(0, total_spans, BATCH):
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(
            [_kv("telemetry.sdk.language", "python"), _kv("service.name", "bench")]
        )
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name, scope_spans.scope.version = "langfuse-sdk", "5.0.4"
        scope_spans.spans.extend(
            _span(rng, i) for i in range(first, min(first + BATCH, total_spans))
        )
        raw = request.SerializeToString()
        bodies.append(gzip.compress(raw) if compress else raw)
    return bodies


def process_tree_cpu(process: psutil.Process) -> float:
    """CPU seconds of the server and its ingest worker processes."""
    return sum(sum(p.cpu_times()[:2]) for p in [process, *process.children(recursive=True)])


def send(base_url: str, bodies: list[bytes], compress: bool) -> None:
    headers = {
        "content-type": "application/x-protobuf",
        "x-langfuse-sdk-version": "5.0.4",
        "x-langfuse-ingestion-version": "4",
    }
    if compress:
        headers["content-encoding"] = "gzip"
    with httpx.Client(base_url=base_url, auth=("pk-lf-local", "sk-lf-local"), timeout=60) as c:
        for body in bodies:
            c.post("/api/public/otel/v1/traces", content=body, headers=headers).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=40_960)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--plain", action="store_true", help="send without gzip")
    args = parser.parse_args()
    compress = not args.plain
    print(machine())
    bodies = build_bodies(args.spans, compress)
    print(
        f"{len(bodies)} batches of {BATCH} spans, {sum(map(len, bodies)) / len(bodies):,.0f} "
        f"B per batch ({'gzip' if compress else 'plain'})"
    )
    rates, cpu_rates = [], []
    for run in range(args.runs):
        with running_server(Path(tempfile.mkdtemp(prefix="bench-ingest-"))) as info:
            send(info["base_url"], bodies[:2], compress)  # warm-up: prices, connections
            server = psutil.Process(info["pid"])
            cpu_before = process_tree_cpu(server)
            shares = [bodies[i :: args.senders] for i in range(args.senders)]
            threads = [
                threading.Thread(target=send, args=(info["base_url"], s, compress)) for s in shares
            ]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            cpu = process_tree_cpu(server) - cpu_before
        rates.append(args.spans / elapsed)
        cpu_rates.append(args.spans / cpu)
        print(
            f"run {run + 1}: {args.spans:,} spans in {elapsed:.2f} s, "
            f"{args.spans / elapsed:,.0f} spans/s; server CPU {cpu:.2f} s"
        )
    print(summary(f"ingest ({args.senders} sender(s))", rates, "spans/s"))
    # Wall-clock rates suffer when other work shares the 2 cores; the server's own CPU time
    # per span does not, so it tells what one core sustains.
    print(summary("per CPU-second of server + workers", cpu_rates, "spans"))


if __name__ == "__main__":
    main()
