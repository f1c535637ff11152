//! The command line, run in-process with captured output.
#![allow(clippy::unwrap_used)]

use super::args::parse_tool_choice;
use super::attachments::{MAX_DOCUMENT_NAME, document_name, unique_name};
use super::*;
use crate::types::ToolChoice;

fn parse(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("bedrock-gateway").chain(args.iter().copied())).unwrap()
}

fn no_env(_: &str) -> Option<String> {
    None
}

async fn run_captured(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(parse(args), &no_env, &mut out, &mut err).await;
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn chat_flags_build_the_request() {
    let cli = parse(&[
        "--settings",
        "s.json",
        "chat",
        "--model",
        "amazon-bedrock|m",
        "--system",
        "be brief",
        "--max-tokens",
        "50",
        "--temperature",
        "0.5",
        "--top-p",
        "0.9",
        "--stop",
        "END",
        "--stop",
        "STOP",
        "hello",
    ]);
    let Command::Chat(args) = &cli.command else { panic!("not chat") };
    let request = chat_request(args);
    assert_eq!(request.model.as_deref(), Some("amazon-bedrock|m"));
    assert_eq!(request.messages.len(), 2);
    assert!(matches!(request.messages[0].role, Role::System));
    assert!(matches!(&request.messages[1].content[0], ContentPart::Text(t) if t == "hello"));
    assert_eq!(request.settings.max_tokens, Some(50));
    assert_eq!(request.settings.temperature, Some(0.5));
    assert_eq!(request.settings.top_p, Some(0.9));
    assert_eq!(request.settings.stop_sequences, ["END", "STOP"]);
    assert_eq!(cli.settings.as_deref(), Some(Path::new("s.json")));
}

fn temp_file(name: &str, content: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("bedrock-gateway-cli-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[test]
fn feature_flags_build_the_request() {
    let photo = temp_file("Photo.JPG", b"\xff\xd8\xff");
    let report = temp_file("q3_report.final.pdf", b"%PDF-1.4");
    let again = temp_file("q3 report final.txt", b"notes");
    let tools = temp_file(
        "tools.json",
        br#"[{"name":"get_weather","description":"Weather","inputSchema":{"type":"object"}},
             {"name":"get_time","inputSchema":{"type":"object"}}]"#,
    );
    let cli = parse(&[
        "chat",
        "--system",
        "be brief",
        "--cache-system",
        "--file",
        &photo,
        "--file",
        &report,
        "--file",
        &again,
        "--reasoning-budget",
        "2048",
        "--tools",
        &tools,
        "--tool-choice",
        "get_time",
        "--guardrail",
        "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc:DRAFT",
        "--guardrail-trace",
        "enabled_full",
        "--provider-options",
        r#"{"serviceTier":{"type":"flex"}}"#,
        "hello",
    ]);
    let Command::Chat(args) = &cli.command else { panic!("not chat") };
    let request = chat_request(args);
    assert!(
        matches!(&request.messages[0].content[1], ContentPart::CachePoint(c) if c.ttl.is_none())
    );
    let user = &request.messages[1].content;
    assert_eq!(user.len(), 4);
    assert!(matches!(&user[0], ContentPart::Image(i) if i.format == "jpeg"
        && matches!(&i.source, MediaSource::Bytes(b) if b == b"\xff\xd8\xff")));
    assert!(
        matches!(&user[1], ContentPart::Document(d) if d.format == "pdf" && d.name == "q3 report final")
    );
    assert!(
        matches!(&user[2], ContentPart::Document(d) if d.format == "txt" && d.name == "q3 report final (2)")
    );
    assert!(matches!(&user[3], ContentPart::Text(t) if t == "hello"));
    assert_eq!(request.settings.reasoning_budget, Some(2048));
    assert_eq!(request.tools.len(), 2);
    assert_eq!(request.tools[0].description.as_deref(), Some("Weather"));
    assert_eq!(request.tools[1].input_schema_json, r#"{"type":"object"}"#);
    assert!(matches!(&request.tool_choice, Some(ToolChoice::Tool(n)) if n == "get_time"));
    let g = request.guardrail.unwrap();
    assert_eq!(g.identifier, "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc");
    assert_eq!(g.version, "DRAFT");
    assert_eq!(g.trace.as_deref(), Some("enabled_full"));
    assert_eq!(request.provider_options.as_deref(), Some(r#"{"serviceTier":{"type":"flex"}}"#));
}

#[test]
fn document_names_follow_bedrocks_rules() {
    let name = |p: &str| document_name(Path::new(p));
    assert_eq!(name("/tmp/Annual Report (2024) [final]-v2.pdf"), "Annual Report (2024) [final]-v2");
    assert_eq!(name("a__b..c  d.csv"), "a b c d");
    assert_eq!(name("Résumé.docx"), "R sum");
    assert_eq!(name("..pdf"), "document");
    assert_eq!(name("___.md"), "document");
    assert_eq!(name(&format!("{}.txt", "x".repeat(300))).len(), MAX_DOCUMENT_NAME);
    let mut used = Vec::new();
    assert_eq!(unique_name("a", &mut used), "a");
    assert_eq!(unique_name("a", &mut used), "a (2)");
    assert_eq!(unique_name("a", &mut used), "a (3)");
    let long = "y".repeat(MAX_DOCUMENT_NAME);
    let mut used = vec![long.clone()];
    let second = unique_name(&long, &mut used);
    assert!(second.ends_with(" (2)") && second.len() == MAX_DOCUMENT_NAME, "{second}");
}

#[test]
fn bad_feature_flags_are_usage_errors() {
    let zip = temp_file("archive.zip", b"PK");
    let none = temp_file("README", b"x");
    let empty = temp_file("empty.png", b"");
    let not_array = temp_file("tools-object.json", br#"{"name":"x"}"#);
    let no_schema = temp_file("tools-no-schema.json", br#"[{"name":"x"}]"#);
    let extra = temp_file("tools-extra.json", br#"[{"name":"x","inputSchema":{},"strict":true}]"#);
    let cases: [(&[&str], &str); 12] = [
        (&["--file", &zip], "unsupported file type `.zip`"),
        (&["--file", &none], "has no file extension"),
        (&["--file", "/nonexistent/x.png"], "cannot read /nonexistent/x.png"),
        (&["--file", &empty], "is empty"),
        (&["--provider-options", "[1]"], "must be a JSON object"),
        (&["--provider-options", "{bad"], "not valid JSON"),
        (&["--tools", &not_array], "expected a JSON array"),
        (&["--tools", &no_schema], "needs an \"inputSchema\" object"),
        (&["--tools", &extra], "unknown member `strict`"),
        (&["--tool-choice", "auto"], "--tools"),
        (&["--guardrail", "abc"], "expected ID:VERSION"),
        (&["--guardrail-trace", "enabled"], "--guardrail"),
    ];
    for (flags, needle) in cases {
        let args = std::iter::once("bedrock-gateway")
            .chain(["chat"])
            .chain(flags.iter().copied())
            .chain(["hi"]);
        let err = Cli::try_parse_from(args).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{flags:?}");
        let text = err.to_string();
        assert!(text.contains(needle), "{flags:?}: {text}");
    }
    let err = Cli::try_parse_from(["bedrock-gateway", "chat", "--cache-system", "hi"]).unwrap_err();
    assert!(err.to_string().contains("--system"), "{err}");
    let err = Cli::try_parse_from([
        "bedrock-gateway",
        "chat",
        "--guardrail",
        "g:1",
        "--guardrail-trace",
        "on",
        "hi",
    ])
    .unwrap_err();
    assert!(err.to_string().contains("enabled_full"), "{err}");
}

#[test]
fn tool_choice_words() {
    assert!(matches!(parse_tool_choice("auto"), Ok(ToolChoice::Auto)));
    assert!(matches!(parse_tool_choice("required"), Ok(ToolChoice::Required)));
    assert!(matches!(parse_tool_choice("any"), Ok(ToolChoice::Required)));
    assert!(matches!(parse_tool_choice("none"), Ok(ToolChoice::None)));
    assert!(matches!(parse_tool_choice("get_time"), Ok(ToolChoice::Tool(n)) if n == "get_time"));
    assert!(parse_tool_choice("").is_err());
}

#[test]
fn serve_flags() {
    let cli = parse(&["serve"]);
    let Command::Serve(args) = &cli.command else { panic!("not serve") };
    assert_eq!(args.listen, "127.0.0.1:8080".parse().unwrap());
    assert!(args.api_keys.is_empty() && args.cors_origins.is_empty());
    assert_eq!(args.max_concurrency, 64);
    assert_eq!(args.max_body_bytes, 10 * 1024 * 1024);
    assert_eq!(args.request_timeout, 300);
    let cli = parse(&[
        "serve",
        "--listen",
        "0.0.0.0:9000",
        "--api-key",
        "a",
        "--api-key",
        "b",
        "--max-concurrency",
        "2",
        "--max-body-bytes",
        "1000",
        "--request-timeout",
        "30",
        "--cors-origin",
        "https://app.example.com/",
        "--cors-origin",
        "*",
    ]);
    let Command::Serve(args) = &cli.command else { panic!("not serve") };
    assert_eq!(args.cors_origins, ["https://app.example.com", "*"]);
    assert_eq!(args.listen, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(args.api_keys, ["a", "b"]);
    assert_eq!((args.max_concurrency, args.max_body_bytes, args.request_timeout), (2, 1000, 30));
    for bad in [
        &["serve", "--max-concurrency", "0"][..],
        &["serve", "--listen", "localhost"],
        &["serve", "--request-timeout", "0"],
        &["serve", "--cors-origin", "app.example.com"],
    ] {
        let err =
            Cli::try_parse_from(std::iter::once("bedrock-gateway").chain(bad.iter().copied()))
                .unwrap_err();
        assert_eq!(err.exit_code(), 2, "{bad:?}");
    }
}

#[tokio::test]
async fn serve_refuses_an_exposed_listener_without_a_key() {
    let (code, out, err) = run_captured(&["serve", "--listen", "0.0.0.0:8080"]).await;
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: refusing to listen on 0.0.0.0:8080 without a client API key"),
        "{err}"
    );
}

#[test]
fn usage_errors_are_rejected_by_clap() {
    let bad = [
        &["chat"][..],
        &["rerank", "--query", "q"],
        &["bogus"],
        &["chat", "--max-tokens", "x", "hi"],
    ];
    for args in bad {
        let err =
            Cli::try_parse_from(std::iter::once("bedrock-gateway").chain(args.iter().copied()))
                .unwrap_err();
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
}

#[tokio::test]
async fn missing_settings_file_exits_2() {
    let (code, out, err) = run_captured(&["--settings", "/nonexistent/s.json", "check"]).await;
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.starts_with("error (invalid-settings): cannot read the settings file"), "{err}");

    let (code, out, _) =
        run_captured(&["--settings", "/nonexistent/s.json", "chat", "--json", "hi"]).await;
    assert_eq!(code, 2);
    let value: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(value["error"]["kind"], "invalid-settings");
}

fn cache_args() -> Vec<String> {
    let dir = std::env::temp_dir().join("bedrock-gateway-test-cache");
    vec!["--cache-dir".into(), dir.display().to_string()]
}

#[tokio::test]
async fn schema_prints_the_components_schema() {
    let mut args = cache_args();
    args.push("schema".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run_captured(&args).await;
    assert_eq!(code, 0, "{err}");
    assert!(serde_json::from_str::<Value>(&out).unwrap().is_object(), "{out}");
}

#[tokio::test]
async fn provider_errors_go_to_stdout_as_json_with_the_matching_exit_code() {
    let dir = std::env::temp_dir().join(format!("bedrock-gateway-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let settings = dir.join("settings.json");
    std::fs::write(
        &settings,
        r#"{"region":"us-east-1","baseUrl":"http://127.0.0.1:9","apiKey":"k"}"#,
    )
    .unwrap();
    let settings = settings.display().to_string();
    for command in [
        &["chat", "--json", "hi"][..],
        &["chat", "--json", "--stream", "hi"],
        &["check", "--json"],
        &["rerank", "--json", "--query", "q", "doc"],
    ] {
        let mut args = cache_args();
        args.extend(["--settings".to_string(), settings.clone()]);
        args.extend(command.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run_captured(&args).await;
        assert!(err.is_empty(), "{command:?}: {err}");
        let line = out.lines().last().unwrap();
        let value: Value = serde_json::from_str(line).unwrap();
        let kind = value["error"]["kind"].as_str().unwrap();
        assert_eq!(code, if kind == "invalid-settings" { 2 } else { 1 }, "{command:?}: {out}");
        assert!(value["error"]["message"].is_string(), "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unreadable_component_exits_1() {
    let (code, _, err) = run_captured(&["--component", "/nonexistent/c.wasm", "schema"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("cannot load the provider component"), "{err}");
}
