#!/usr/bin/env python3
"""The official OpenAI Python client against `bedrock-gateway serve`.

Chats, streams, calls a tool (and sends its result back), parses structured output into a
pydantic model, embeds, retrieves a model, and checks that mapped errors come out as the
client's own exception types with OpenAI's codes. Run it against a gateway whose upstream is
the local Bedrock emulator, with an `embeddingModel` in its settings (model
`emulator.fault-<name>` makes the emulator inject that fault):

    python3 host/gateway/tests/app/openai_client.py --base-url http://127.0.0.1:8080/v1 --api-key KEY

Prints one line per check and `ALL OK` at the end; exits 1 on the first failure.
"""

import argparse
import json
import sys

import openai
from openai import OpenAI
from pydantic import BaseModel


class CityReport(BaseModel):
    city: str
    country: str
    population: int


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--api-key", default="unused")
    args = parser.parse_args()
    # No client-side retries: each check sees the gateway's first answer.
    client = OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0)
    print(f"openai {openai.__version__} -> {args.base_url}")

    listed = list(client.models.list())
    models = [m.id for m in listed]
    check(models, "models are listed")
    check(all(m.created > 0 for m in listed), "models have a creation time")
    print(f"models: {models}")
    model = client.models.retrieve(models[0])
    check(model.id == models[0] and model.owned_by == "amazon-bedrock", f"models.retrieve: {model}")
    print(f"models.retrieve: {model.id}")

    # Chat.
    answer = client.chat.completions.create(
        model=models[0],
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello, gateway"},
        ],
        max_tokens=100,
    )
    text = answer.choices[0].message.content
    check("Hello, gateway" in text, f"the chat answer echoes the prompt: {text!r}")
    check(answer.choices[0].finish_reason == "stop", "finish_reason stop")
    check(answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0, "usage")
    check(answer.model == models[0], f"the answer names its model as the list does: {answer.model}")
    print(f"chat: {text!r} ({answer.model}, {answer.usage.total_tokens} tokens, request {answer._request_id})")

    # Stream.
    pieces, usage, finish = [], None, None
    stream = client.chat.completions.create(
        model=models[0],
        messages=[{"role": "user", "content": "Stream, please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    streamed = "".join(pieces)
    check("Stream, please" in streamed, f"the streamed answer: {streamed!r}")
    check(len(pieces) > 1, "the answer came in several chunks")
    check(finish == "stop", f"stream finish_reason: {finish}")
    check(usage is not None and usage.completion_tokens > 0, "stream usage")
    print(f"stream: {len(pieces)} chunks -> {streamed!r}, usage {usage.total_tokens} tokens")

    # Tools: the model calls one, the result goes back, the model answers.
    tools = [{
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }]
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    answer = client.chat.completions.create(model=models[0], messages=messages, tools=tools)
    choice = answer.choices[0]
    check(choice.finish_reason == "tool_calls", f"finish_reason tool_calls: {choice.finish_reason}")
    call = choice.message.tool_calls[0]
    arguments = json.loads(call.function.arguments)
    check(call.function.name == "get_weather" and "city" in arguments, f"the tool call: {call}")
    print(f"tool call: {call.function.name}({call.function.arguments}) id {call.id}")
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 24 C"})
    answer = client.chat.completions.create(model=models[0], messages=messages, tools=tools)
    text = answer.choices[0].message.content
    check("sunny, 24 C" in text, f"the answer uses the tool result: {text!r}")
    print(f"tool result turn: {text!r}")

    # Streamed tool call: fragments reassemble into the same arguments.
    fragments, name = [], None
    for chunk in client.chat.completions.create(
        model=models[0], messages=messages[:1], tools=tools, stream=True
    ):
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                name = (delta.function.name if delta.function else None) or name
                if delta.function and delta.function.arguments:
                    fragments.append(delta.function.arguments)
    check(name == "get_weather", f"streamed tool name: {name}")
    check(json.loads("".join(fragments)) == arguments, f"streamed arguments: {fragments}")
    print(f"streamed tool call: {name} in {len(fragments)} argument fragments")

    # Structured output: `parse` sends the pydantic model as a strict JSON schema and parses
    # the answer back into it.
    parsed = client.chat.completions.parse(
        model=models[0],
        messages=[{"role": "user", "content": "Describe the capital of France."}],
        response_format=CityReport,
    )
    report = parsed.choices[0].message.parsed
    check(isinstance(report, CityReport), f"parsed into the model: {parsed.choices[0].message}")
    print(f"parse: {report!r}")
    answer = client.chat.completions.create(
        model=models[0],
        messages=[{"role": "user", "content": "Paris as JSON"}],
        response_format={"type": "json_object"},
        reasoning_effort="low",
    )
    check(isinstance(json.loads(answer.choices[0].message.content), dict), "JSON mode answers an object")
    print(f"json_object: {answer.choices[0].message.content}")

    # Embeddings: the client asks for base64 by default and decodes it.
    inputs = ["Paris is the capital of France.", "The Seine flows through Paris.", "Berlin"]
    embedded = client.embeddings.create(model=models[-1], input=inputs, dimensions=256)
    check([d.index for d in embedded.data] == [0, 1, 2], "embeddings in input order")
    check(all(len(d.embedding) == 256 for d in embedded.data), "vectors of the requested dimension")
    single = client.embeddings.create(model=models[-1], input=inputs[1], dimensions=256, encoding_format="float")
    check(single.data[0].embedding == embedded.data[1].embedding, "the same vector alone and in a list")
    check(embedded.usage.prompt_tokens > 0, "embedding usage")
    print(f"embeddings: {len(embedded.data)} x {len(embedded.data[0].embedding)}, {embedded.usage.prompt_tokens} tokens")

    # `param` names the OpenAI request field.
    for kwargs, param in [
        ({"temperature": 1.5}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"tool_choice": "required"}, "tool_choice"),
    ]:
        try:
            client.chat.completions.create(model=models[0], messages=[{"role": "user", "content": "hi"}], **kwargs)
            check(False, f"{kwargs} raised nothing")
        except openai.BadRequestError as e:
            check(e.param == param, f"{kwargs}: param {e.param}")
            check(e.code == "invalid_value", f"{kwargs}: code {e.code}")
            print(f"{kwargs}: BadRequestError param={e.param}")

    # Mapped errors become the client's exception types, with OpenAI's codes where OpenAI
    # has one; our kind travels in `kind`.
    expected = [
        ("throttling", openai.RateLimitError, 429, "rate_limit_exceeded", "throttled"),
        ("quota", openai.RateLimitError, 429, "insufficient_quota", "quota-exceeded"),
        ("model-error-too-long", openai.BadRequestError, 400, "context_length_exceeded", "invalid-request"),
        ("no-model-access", openai.PermissionDeniedError, 403, None, "access-denied"),
        ("invalid-signature", openai.AuthenticationError, 401, None, "authentication"),
        ("end-of-life", openai.NotFoundError, 404, "model_not_found", "model-not-found"),
        ("validation", openai.BadRequestError, 400, "invalid_value", "invalid-request"),
        ("unavailable", openai.InternalServerError, 503, None, "service-unavailable"),
    ]
    for fault, exception, status, code, kind in expected:
        try:
            client.chat.completions.create(
                model=f"emulator.fault-{fault}", messages=[{"role": "user", "content": "hi"}]
            )
            check(False, f"{fault} raised nothing")
        except exception as e:
            check(e.status_code == status, f"{fault}: status {e.status_code}")
            check(e.code == code, f"{fault}: code {e.code}")
            check(e.body["kind"] == kind, f"{fault}: kind {e.body['kind']}")
            if fault == "throttling":
                check(e.response.headers.get("retry-after") == "1", "Retry-After on throttling")
            if fault == "model-error-too-long":
                check(e.response.headers.get("x-should-retry") == "false", "context length is not retried")
            print(f"{fault}: {type(e).__name__} {e.status_code} code={e.code} kind={e.body['kind']}")

    # A mid-stream error raises from the iterator, after the text already delivered.
    received = []
    try:
        for chunk in client.chat.completions.create(
            model="emulator.fault-stream-throttling",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        ):
            for choice in chunk.choices:
                received.append(choice.delta.content or "")
        check(False, "the broken stream ended cleanly")
    except openai.APIError as e:
        check(e.body and e.body.get("kind") == "throttled", f"mid-stream error body: {e.body}")
        print(f"mid-stream error: {type(e).__name__} kind={e.body['kind']} after {len(received)} chunks")

    # Wrong key.
    bad = OpenAI(base_url=args.base_url, api_key="sk-wrong", max_retries=0)
    try:
        bad.models.list()
        check(args.api_key == "unused", "a wrong key was accepted")
        print("no client key configured: skipped the wrong-key check")
    except openai.AuthenticationError as e:
        print(f"wrong key: AuthenticationError {e.status_code} code={e.code}")

    print("ALL OK")


if __name__ == "__main__":
    main()
