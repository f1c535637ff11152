#!/usr/bin/env python3
"""The official Anthropic Python client against `bedrock-gateway serve`.

Creates a message, streams one (text with `text_stream`, then a tool call whose input is
assembled from input_json_delta events), counts tokens, and checks that throttling raises
RateLimitError. Run it against a gateway whose upstream is the local Bedrock emulator (model
`emulator.fault-<name>` makes the emulator inject that fault):

    python3 host/gateway/tests/app/anthropic_client.py --base-url http://127.0.0.1:8080 --api-key KEY

Prints one line per check and `ALL OK` at the end; exits 1 on the first failure.
"""

import argparse
import sys

import anthropic
from anthropic import Anthropic


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--api-key", default="unused")
    args = parser.parse_args()
    # No client-side retries: each check sees the gateway's first answer.
    client = Anthropic(base_url=args.base_url, api_key=args.api_key, max_retries=0)
    print(f"anthropic {anthropic.__version__} -> {args.base_url}")

    model = client.models.list().data[0].id
    print(f"model: {model}")

    # Create.
    message = client.messages.create(
        model=model,
        max_tokens=200,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello, gateway"}],
    )
    text = message.content[0].text
    check("Hello, gateway" in text, f"the answer echoes the prompt: {text!r}")
    check(message.stop_reason == "end_turn", f"stop_reason: {message.stop_reason}")
    check(message.usage.input_tokens > 0 and message.usage.output_tokens > 0, "usage")
    check(message.model == model, f"model: {message.model}")
    print(f"create: {text!r} ({message.usage.input_tokens} in, {message.usage.output_tokens} out, request {message._request_id})")

    # Stream text.
    with client.messages.stream(
        model=model, max_tokens=200, messages=[{"role": "user", "content": "Stream, please"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    streamed = "".join(pieces)
    check("Stream, please" in streamed, f"the streamed answer: {streamed!r}")
    check(len(pieces) > 1, "the answer came in several pieces")
    check(final.content[0].text == streamed, "the final message holds the streamed text")
    check(final.stop_reason == "end_turn" and final.usage.output_tokens > 0, "final stop reason and usage")
    print(f"stream: {len(pieces)} pieces -> {streamed!r}")

    # Stream a tool call: the SDK assembles its input from input_json_delta events.
    tools = [{
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }]
    fragments = []
    with client.messages.stream(
        model=model,
        max_tokens=500,
        tools=tools,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
    ) as stream:
        for event in stream:
            if event.type == "input_json":
                fragments.append(event.partial_json)
        final = stream.get_final_message()
    calls = [b for b in final.content if b.type == "tool_use"]
    check(final.stop_reason == "tool_use", f"stop_reason: {final.stop_reason}")
    check(len(calls) == 1 and calls[0].name == "get_weather", f"the tool call: {final.content}")
    check(calls[0].input == {"city": "Paris"}, f"the assembled input: {calls[0].input}")
    check(len(fragments) > 1, f"the input came in fragments: {fragments}")
    print(f"streamed tool call: {calls[0].name}({calls[0].input}) from {len(fragments)} fragments")

    # The tool's result goes back; the model answers with it.
    answer = client.messages.create(
        model=model,
        max_tokens=500,
        tools=tools,
        messages=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": final.content},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": calls[0].id, "content": "sunny, 24 C"},
            ]},
        ],
    )
    check("sunny, 24 C" in answer.content[0].text, f"the answer uses the result: {answer.content}")
    print(f"tool result turn: {answer.content[0].text!r}")

    # Count tokens.
    counted = client.messages.count_tokens(
        model=model, system="Be brief.", messages=[{"role": "user", "content": "How many tokens?"}]
    )
    check(counted.input_tokens > 0, f"count_tokens: {counted}")
    print(f"count_tokens: {counted.input_tokens}")

    # Throttling is the SDK's RateLimitError, with Anthropic's error type.
    try:
        client.messages.create(
            model="emulator.fault-throttling",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
        )
        check(False, "throttling raised nothing")
    except anthropic.RateLimitError as e:
        check(e.status_code == 429, f"status {e.status_code}")
        check(e.body["error"]["type"] == "rate_limit_error", f"error body: {e.body}")
        check(e.response.headers.get("retry-after") == "1", "Retry-After on throttling")
        print(f"throttling: RateLimitError {e.status_code} type={e.body['error']['type']}")

    # A bad request names the field.
    try:
        client.messages.create(model=model, max_tokens=0, messages=[{"role": "user", "content": "hi"}])
        check(False, "max_tokens 0 raised nothing")
    except anthropic.BadRequestError as e:
        check(e.body["error"]["message"].startswith("max_tokens: "), f"message: {e.body}")
        print(f"max_tokens 0: BadRequestError {e.body['error']['message']!r}")

    # Wrong key.
    bad = Anthropic(base_url=args.base_url, api_key="sk-wrong", max_retries=0)
    try:
        bad.messages.create(model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        check(args.api_key == "unused", "a wrong key was accepted")
    except anthropic.AuthenticationError as e:
        print(f"wrong key: AuthenticationError {e.status_code}")

    print("ALL OK")


if __name__ == "__main__":
    main()
