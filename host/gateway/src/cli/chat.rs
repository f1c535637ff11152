//! `chat`: the request built from the options, and a streamed answer printed as it arrives.

use super::attachments::unique_name;
use super::*;

pub(super) async fn stream_chat(
    host: &Host,
    settings_json: &str,
    args: &ChatArgs,
    p: &mut Printer<'_>,
) -> Result<(), ProviderError> {
    let mut stream = host.stream(settings_json, chat_request(args)).await?;
    let mut view = output::TextView::default();
    loop {
        let part = match stream.next().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                if !p.json {
                    p.text(&view.finish());
                }
                return Err(e);
            }
        };
        if p.json {
            p.json_line(&output::stream_part_json(&part));
            continue;
        }
        let shown = match &part {
            StreamPart::TextDelta(d) => view.text(&d.text),
            StreamPart::ReasoningDelta(d) => match (&d.text, &d.redacted) {
                (_, Some(bytes)) => view.redacted(bytes.len()),
                (Some(text), None) => view.reasoning(text),
                (None, None) => String::new(),
            },
            StreamPart::ToolCallEnd(call) => view.tool_call(call),
            StreamPart::Warning(w) => {
                p.warning(&w.message, &w.code);
                String::new()
            }
            _ => String::new(),
        };
        p.text(&shown);
    }
    if !p.json {
        p.text(&view.finish());
    }
    Ok(())
}

pub(super) fn chat_request(args: &ChatArgs) -> GenerateRequest {
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        let mut content = vec![ContentPart::Text(system.clone())];
        if args.cache_system {
            content.push(ContentPart::CachePoint(CachePoint { ttl: None }));
        }
        messages.push(Message { role: Role::System, content });
    }
    // Attachments before the question, as Bedrock's examples order them.
    let mut content = Vec::with_capacity(args.files.len() + 1);
    let mut names = Vec::new();
    for file in &args.files {
        let source = MediaSource::Bytes(file.bytes.clone());
        content.push(match &file.kind {
            AttachmentKind::Image(format) => {
                ContentPart::Image(Image { format: format.clone(), source })
            }
            AttachmentKind::Document { format, name } => ContentPart::Document(Document {
                format: format.clone(),
                name: unique_name(name, &mut names),
                source,
                citations: false,
            }),
        });
    }
    content.push(ContentPart::Text(args.prompt.clone()));
    messages.push(Message { role: Role::User, content });
    GenerateRequest {
        model: args.model.clone(),
        messages,
        settings: InferenceSettings {
            max_tokens: args.max_tokens,
            temperature: args.temperature,
            top_p: args.top_p,
            stop_sequences: args.stop.clone(),
            reasoning_budget: args.reasoning_budget,
            reasoning_effort: args.reasoning_effort,
        },
        tools: args.tools.as_ref().map(|t| t.0.clone()).unwrap_or_default(),
        tool_choice: args.tool_choice.clone(),
        guardrail: args
            .guardrail
            .clone()
            .map(|g| Guardrail { trace: args.guardrail_trace.clone(), ..g }),
        response_format: args.json_schema.clone().map(ResponseFormat::JsonSchema),
        provider_options: args.provider_options.clone(),
    }
}
