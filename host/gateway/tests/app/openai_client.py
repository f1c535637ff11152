#!/usr/bin/env python3
"""The official OpenAI Python client against `bedrock-gateway serve`.

Chats, streams, calls a tool (and sends its result back), and checks that mapped errors come
out as the client's own exception types. Run it against a gateway whose upstream is the local
Bedrock emulator (model `emulator.fault-<name>` makes the emulator inject that fault):

    python3 host/tests/openai_client.py --base-url http://127.0.0.1:8080/v1 --api-key KEY

Prints one line per check and `ALL OK` at the end; exits 1 on the first failure.
"""

import argparse
import json
import sys

import openai
from openai import OpenAI


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

    models = [m.id for m in client.models.list()]
    check(models, "models are listed")
    print(f"models: {models}")

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

    # Mapped errors become the client's exception types.
    expected = [
        ("throttling", openai.RateLimitError, 429),
        ("no-model-access", openai.PermissionDeniedError, 403),
        ("invalid-signature", openai.AuthenticationError, 401),
        ("end-of-life", openai.NotFoundError, 404),
        ("validation", openai.BadRequestError, 400),
        ("unavailable", openai.InternalServerError, 503),
    ]
    for fault, exception, status in expected:
        try:
            client.chat.completions.create(
                model=f"emulator.fault-{fault}", messages=[{"role": "user", "content": "hi"}]
            )
            check(False, f"{fault} raised nothing")
        except exception as e:
            check(e.status_code == status, f"{fault}: status {e.status_code}")
            check(e.code == e.body["code"] and e.code, f"{fault}: code {e.code}")
            if fault == "throttling":
                check(e.response.headers.get("retry-after") == "1", "Retry-After on throttling")
            print(f"{fault}: {type(e).__name__} {e.status_code} code={e.code}")

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
        check(e.body and e.body.get("code") == "throttled", f"mid-stream error body: {e.body}")
        print(f"mid-stream error: {type(e).__name__} code={e.body['code']} after {len(received)} chunks")

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
