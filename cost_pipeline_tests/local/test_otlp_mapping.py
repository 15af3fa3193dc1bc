"""OTLP span -> observation mapping, as Langfuse does it (reference notes section 6)."""

from __future__ import annotations

import orjson
import pytest

from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.local.otlp_builders import (
    NS,
    OtlpSpan,
    generation,
    post_protobuf,
    read_trace,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("mapping")) as srv:
        yield srv


@pytest.fixture
def api(server):
    with server.api() as client:
        yield client


def test_ids_hex_times_floored_to_ms_and_root_detection(api):
    root = OtlpSpan(
        "root",
        {"langfuse.observation.type": "span"},
        start_ns=1_795_478_400 * NS + 123_999_999,
        end_ns=1_795_478_401 * NS + 7,
    )
    child = generation("child")
    child.trace_id, child.parent_span_id = root.trace_id, root.span_id
    child.start_ns = root.start_ns + 1
    assert post_protobuf(api, [root, child]).status_code == 200
    rows = read_trace(api, root.trace_hex)
    assert rows[root.id_hex]["startTime"] == "2026-11-24T00:00:00.123Z"
    assert rows[root.id_hex]["endTime"] == "2026-11-24T00:00:01.000Z"
    assert rows[root.id_hex]["parentObservationId"] is None
    assert rows[root.id_hex]["isRootObservation"] is True
    assert rows[root.id_hex]["traceName"] == "root"  # a root span names its trace
    assert rows[child.id_hex]["parentObservationId"] == root.id_hex
    assert rows[child.id_hex]["traceId"] == root.trace_hex
    assert rows[child.id_hex]["latency"] == 0.0


def test_an_app_root_is_a_root_observation_that_keeps_its_physical_parent(api):
    # The SDK marks its first span inside another instrumentation's span (not exported) as the
    # app's root: Langfuse lists it as a root and keeps the parent id (OpenAPI ObservationV2).
    app_root = generation("app-root", **{"langfuse.internal.is_app_root": True})
    app_root.parent_span_id = bytes(range(1, 9))
    child = generation("child")
    child.trace_id, child.parent_span_id = app_root.trace_id, app_root.span_id
    assert post_protobuf(api, [app_root, child]).status_code == 200
    rows = read_trace(api, app_root.trace_hex)
    assert rows[app_root.id_hex]["isRootObservation"] is True
    assert rows[app_root.id_hex]["parentObservationId"] == app_root.parent_span_id.hex()
    assert rows[child.id_hex]["isRootObservation"] is False
    params = {"traceId": app_root.trace_hex, "isRootObservation": "true"}
    listed = api.get("/api/public/v2/observations", params=params).json()["data"]
    assert [row["id"] for row in listed] == [app_root.id_hex]


def test_trace_attributes_environment_release_version_level(api):
    span = generation(
        **{
            "user.id": "u-1",
            "session.id": "s-1",
            "langfuse.trace.name": "chat-request",
            "langfuse.trace.tags": ["team-a", "chat"],
            "langfuse.environment": "LangFuse-Prod",
            "langfuse.release": "rel-9",
            "langfuse.version": "1.2.3",
            "langfuse.observation.completion_start_time": '"2026-11-24T00:00:00.250Z"',
        }
    )
    span.status_code, span.status_message = 2, "rate limited"
    assert post_protobuf(api, [span]).status_code == 200
    row = read_trace(api, span.trace_hex)[span.id_hex]
    assert (row["userId"], row["sessionId"], row["traceName"]) == ("u-1", "s-1", "chat-request")
    assert row["tags"] == ["team-a", "chat"]
    assert row["environment"] == "prod"  # lower-cased, "langfuse" prefix stripped
    assert (row["release"], row["version"]) == ("rel-9", "1.2.3")
    assert (row["level"], row["statusMessage"]) == ("ERROR", "rate limited")
    assert row["completionStartTime"] == "2026-11-24T00:00:00.250Z"
    assert row["timeToFirstToken"] == 0.25


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ('["a", "b"]', ["a", "b"]),
        ("a, b", ["a", "b"]),
        ("single", ["single"]),
    ],
)
def test_tags_in_every_accepted_form(api, tags, expected):
    span = generation(**{"langfuse.trace.tags": tags})
    assert post_protobuf(api, [span]).status_code == 200
    assert read_trace(api, span.trace_hex)[span.id_hex]["tags"] == expected


def test_environment_defaults_and_invalid_values_fall_back(api):
    missing, invalid = generation("missing"), generation(**{"langfuse.environment": "bad env!"})
    assert post_protobuf(api, [missing, invalid]).status_code == 200
    assert read_trace(api, missing.trace_hex)[missing.id_hex]["environment"] == "default"
    assert read_trace(api, invalid.trace_hex)[invalid.id_hex]["environment"] == "default"


def test_metadata_v5_values_are_json_decoded_and_trace_metadata_merged(api):
    span = generation(
        **{
            "langfuse.observation.metadata.feature": '"qa"',
            "langfuse.observation.metadata.n": "3",
            "langfuse.observation.metadata.nested": '{"k":1}',
            "langfuse.trace.metadata.team": '"platform"',
            "langfuse.trace.metadata.feature": '"overridden"',
        }
    )
    assert post_protobuf(api, [span], scope_version="5.0.4").status_code == 200
    metadata = read_trace(api, span.trace_hex)[span.id_hex]["metadata"]
    assert metadata["feature"] == "qa"  # observation metadata wins over trace metadata
    assert metadata["team"] == "platform"
    assert metadata["n"] == 3
    assert metadata["nested"] == {"k": 1}
    assert metadata["scope"]["name"] == "langfuse-sdk"
    assert metadata["resourceAttributes"]["service.name"] == "tests"


def test_metadata_v4_strings_stay_strings(api):
    span = generation(
        **{
            "langfuse.observation.metadata.feature": "qa",
            "langfuse.observation.metadata.n": "7",
            "langfuse.observation.metadata.i": 3,
            "langfuse.observation.metadata.b": True,
            "langfuse.observation.metadata.d": '{"a": {"b": 1}}',
        }
    )
    assert post_protobuf(api, [span], scope_version="4.18.0").status_code == 200
    metadata = read_trace(api, span.trace_hex)[span.id_hex]["metadata"]
    assert (metadata["feature"], metadata["n"]) == ("qa", "7")
    assert (metadata["i"], metadata["b"], metadata["d"]) == (3, True, {"a": {"b": 1}})


def test_metadata_values_truncated_unless_expanded(api):
    long_value = "x" * 500
    span = generation(
        **{
            "langfuse.observation.metadata.blob": f'"{long_value}"',
            "langfuse.observation.metadata.other": f'"{long_value}"',
        }
    )
    assert post_protobuf(api, [span]).status_code == 200
    default = read_trace(api, span.trace_hex, "core,metadata")[span.id_hex]["metadata"]
    assert default["blob"] == "x" * 200
    response = api.get(
        "/api/public/v2/observations",
        params={"traceId": span.trace_hex, "fields": "core,metadata", "expandMetadata": "blob"},
    )
    expanded = response.json()["data"][0]["metadata"]
    assert expanded["blob"] == long_value
    assert expanded["other"] == "x" * 200


def test_openai_chat_usage_shape_is_normalised_and_priced(api):
    usage = {
        "prompt_tokens": 120,
        "completion_tokens": 40,
        "total_tokens": 160,
        "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 12},
    }
    span = generation(**{"langfuse.observation.usage_details": orjson.dumps(usage).decode()})
    assert post_protobuf(api, [span]).status_code == 200
    row = read_trace(api, span.trace_hex)[span.id_hex]
    assert row["usageDetails"] == {
        "input": 20,
        "input_cached_tokens": 100,
        "input_audio_tokens": 0,
        "output": 28,
        "output_reasoning_tokens": 12,
        "total": 160,
    }
    cost = row["costDetails"]
    assert cost["input"] == pytest.approx(20 * 0.15e-6)
    assert cost["input_cached_tokens"] == pytest.approx(100 * 0.075e-6)
    assert cost["output"] == pytest.approx(28 * 0.6e-6)
    assert cost["output_reasoning_tokens"] == pytest.approx(12 * 0.6e-6)
    assert row["totalCost"] == pytest.approx(sum(v for k, v in cost.items() if k != "total"))
    assert (row["modelId"], row["inputPrice"], row["outputPrice"]) == (
        "gpt-4o-mini",
        "0.00000015",
        "0.0000006",
    )


def test_responses_usage_shape_is_normalised(api):
    usage = {
        "input_tokens": 50,
        "output_tokens": 30,
        "total_tokens": 80,
        "input_tokens_details": {"cached_tokens": 10},
        "output_tokens_details": {"reasoning_tokens": 5},
    }
    span = generation(**{"langfuse.observation.usage_details": orjson.dumps(usage).decode()})
    assert post_protobuf(api, [span]).status_code == 200
    assert read_trace(api, span.trace_hex)[span.id_hex]["usageDetails"] == {
        "input": 40,
        "input_cached_tokens": 10,
        "output": 25,
        "output_reasoning_tokens": 5,
        "total": 80,
    }


def test_gen_ai_semantic_conventions_from_a_plain_otel_client(api):
    span = OtlpSpan(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.request.temperature": 0.5,
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 200,
            "gen_ai.usage.cache_read_input_tokens": 400,
            "gen_ai.usage.reasoning_tokens": 50,
        },
    )
    assert (
        post_protobuf(
            api, [span], scope_name="opentelemetry.instrumentation.openai", scope_version="0.40.0"
        ).status_code
        == 200
    )
    row = read_trace(api, span.trace_hex, expand="attributes")[span.id_hex]
    assert row["type"] == "GENERATION"
    assert row["model"] == "gpt-4o"
    assert row["modelParameters"] == {"temperature": 0.5}
    assert row["usageDetails"] == {
        "input": 600,
        "input_cached_tokens": 400,
        "output": 150,
        "output_reasoning_tokens": 50,
        "total": 1200,
    }
    assert row["metadata"]["attributes"]["gen_ai.operation.name"] == "chat"


def test_provided_cost_wins_and_unknown_model_is_marked_unpriced(api):
    provided = generation(**{"langfuse.observation.cost_details": '{"input": 1.5, "output": 0.5}'})
    unknown = generation(**{"langfuse.observation.model.name": "acme-internal-llm"})
    assert post_protobuf(api, [provided, unknown]).status_code == 200
    row = read_trace(api, provided.trace_hex)[provided.id_hex]
    assert row["costDetails"] == {"input": 1.5, "output": 0.5, "total": 2.0}
    assert row["totalCost"] == 2.0
    row = read_trace(api, unknown.trace_hex)[unknown.id_hex]
    assert row["costDetails"] == {}
    assert row["totalCost"] == 0
    assert (row["modelId"], row["inputPrice"], row["outputPrice"]) == (None, None, None)


def test_type_mapping_and_model_fallbacks(api):
    tool = OtlpSpan("tool", {"langfuse.observation.type": "tool"})
    by_model = OtlpSpan("implicit", {"gen_ai.response.model": "gpt-4o"})
    plain = OtlpSpan("plain", {})
    assert post_protobuf(api, [tool, by_model, plain]).status_code == 200
    assert read_trace(api, tool.trace_hex)[tool.id_hex]["type"] == "TOOL"
    assert read_trace(api, by_model.trace_hex)[by_model.id_hex]["type"] == "GENERATION"
    assert read_trace(api, plain.trace_hex)[plain.id_hex]["type"] == "SPAN"


def test_expanded_metadata_restores_objects_and_lists_as_json(api):
    big_object = {f"k{i}": "v" * 20 for i in range(12)}  # > 200 chars once encoded
    big_list = ["x" * 30] * 10
    span = generation(
        **{
            "langfuse.observation.metadata.obj": orjson.dumps(big_object).decode(),
            "langfuse.observation.metadata.lst": orjson.dumps(big_list).decode(),
        }
    )
    assert post_protobuf(api, [span]).status_code == 200
    cut = read_trace(api, span.trace_hex, "core,metadata")[span.id_hex]["metadata"]
    assert isinstance(cut["obj"], str) and len(cut["obj"]) == 200
    full = read_trace(api, span.trace_hex, "core,metadata", expand="obj,lst")[span.id_hex]
    assert full["metadata"]["obj"] == big_object
    assert full["metadata"]["lst"] == big_list


def test_expanded_keys_with_unicode_or_named_inside_other_values(api):
    keys = ["équipe ✓", "plain"]
    decoy = {"missing": "z" * 300}  # names an expanded key inside another key's long value
    span = generation(
        **{
            f"langfuse.observation.metadata.{key}": orjson.dumps(key + "y" * 300).decode()
            for key in keys
        },
        **{"langfuse.observation.metadata.decoy": orjson.dumps(decoy).decode()},
        # A control character in a key: stays truncated whatever the SQLite release.
        **{"langfuse.observation.metadata.tab\tkey": orjson.dumps("t" * 300).decode()},
    )
    assert post_protobuf(api, [span]).status_code == 200
    response = api.get(
        "/api/public/v2/observations",
        params={
            "traceId": span.trace_hex,
            "fields": "core,metadata",
            "expandMetadata": ",".join([*keys, "missing", "tab\tkey"]),
        },
    )
    metadata = response.json()["data"][0]["metadata"]
    assert {key: metadata[key] for key in keys} == {key: key + "y" * 300 for key in keys}
    assert metadata["decoy"] == orjson.dumps(decoy).decode()[:200]
    assert "missing" not in metadata
    assert metadata["tab\tkey"] == "t" * 200
