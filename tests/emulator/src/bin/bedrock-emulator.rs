//! The emulator as a process, for hosts that are not Rust (the Node host's tests and benchmark).
//!
//! ```text
//! bedrock-emulator [--port N] [--frame-delay-ms N] [--credential AKID:SECRET[:TOKEN]]... [--api-key KEY]...
//! ```
//!
//! Starts the emulator on `127.0.0.1:0` and prints one JSON line to stdout: its address, base
//! URL and the credentials it accepts (the demo ones unless `--credential` / `--api-key` are
//! given). It then serves until stdin closes, SIGTERM or SIGINT.
//!
//! Stdin also takes commands, one per line, each answered with one JSON line on stdout:
//! `requests` (every request received so far: method, path, headers, body as text,
//! signatureValid, signedHeaders, status) and `clear` (forget them).
//!
//! With `--port N`, connections to `127.0.0.1:N` are relayed to the emulator's own port (the
//! library binds an ephemeral port), byte for byte.

use std::time::Duration;

use bedrock_emulator::{
    Credential, DEMO_ACCESS_KEY_ID, DEMO_API_KEY, DEMO_SECRET_ACCESS_KEY, DEMO_SESSION_TOKEN,
    DEMO_TEMPORARY_ACCESS_KEY_ID, Emulator, EmulatorConfig,
};
use serde_json::{Value, json};
use std::io::{BufRead, Write};

use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: bedrock-emulator [--port N] [--frame-delay-ms N] \
     [--credential AKID:SECRET[:TOKEN]]... [--api-key KEY]...";

struct Args {
    port: Option<u16>,
    config: EmulatorConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut port = None;
    let mut config = EmulatorConfig::default();
    let mut credentials = Vec::new();
    let mut api_keys = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                port = Some(value("--port")?.parse().map_err(|_| "--port: not a port number")?)
            }
            "--frame-delay-ms" => {
                let ms: u64 = value("--frame-delay-ms")?
                    .parse()
                    .map_err(|_| "--frame-delay-ms: not a number")?;
                config.frame_delay = Duration::from_millis(ms);
            }
            "--credential" => {
                let text = value("--credential")?;
                let mut parts = text.splitn(3, ':');
                let (Some(id), Some(secret)) = (parts.next(), parts.next()) else {
                    return Err("--credential: expected AKID:SECRET[:TOKEN]".into());
                };
                credentials.push(Credential {
                    access_key_id: id.into(),
                    secret_access_key: secret.into(),
                    session_token: parts.next().map(str::to_string),
                    expires: None,
                });
            }
            "--api-key" => api_keys.push(value("--api-key")?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if !credentials.is_empty() {
        config.credentials = credentials;
    }
    if !api_keys.is_empty() {
        config.api_keys = api_keys;
    }
    Ok(Args { port, config })
}

/// Relays every connection on `listener` to `target`.
async fn relay(listener: TcpListener, target: std::net::SocketAddr) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(target).await {
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

fn requests_json(emulator: &Emulator) -> Value {
    let requests: Vec<Value> = emulator
        .requests()
        .into_iter()
        .map(|r| {
            let headers: serde_json::Map<String, Value> =
                r.headers.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect();
            json!({
                "method": r.method,
                "path": r.path,
                "headers": headers,
                "body": String::from_utf8_lossy(&r.body),
                "signatureValid": r.signature_valid,
                "signedHeaders": r.signed_headers,
                "status": r.status,
            })
        })
        .collect();
    json!({ "requests": requests })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let credentials: Vec<Value> = args
        .config
        .credentials
        .iter()
        .map(|c| {
            json!({"accessKeyId": c.access_key_id, "secretAccessKey": c.secret_access_key,
                   "sessionToken": c.session_token})
        })
        .collect();
    let api_keys = args.config.api_keys.clone();
    let emulator = match Emulator::start(args.config).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("bedrock-emulator: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let mut addr = emulator.addr();
    if let Some(port) = args.port {
        let listener = match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("bedrock-emulator: cannot listen on 127.0.0.1:{port}: {e}");
                std::process::exit(1);
            }
        };
        let target = addr;
        addr = listener.local_addr().unwrap_or(addr);
        tokio::spawn(relay(listener, target));
    }

    let mut out = std::io::stdout();
    let hello = json!({
        "address": addr.to_string(),
        "baseUrl": format!("http://{addr}"),
        "demo": {
            "accessKeyId": DEMO_ACCESS_KEY_ID,
            "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
            "temporaryAccessKeyId": DEMO_TEMPORARY_ACCESS_KEY_ID,
            "sessionToken": DEMO_SESSION_TOKEN,
            "apiKey": DEMO_API_KEY,
        },
        "credentials": credentials,
        "apiKeys": api_keys,
    });
    if writeln!(out, "{hello}").is_err() || out.flush().is_err() {
        return;
    }

    // Stdin is read on a plain thread (the workspace's tokio has no `io-std`); its lines come
    // over a channel, and its end closes the channel.
    let (line_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(e) => {
                eprintln!("bedrock-emulator: cannot watch SIGTERM: {e}");
                std::process::exit(1);
            }
        };
    loop {
        tokio::select! {
            line = lines.recv() => {
                let reply = match line {
                    Some(line) => match line.trim() {
                        "requests" => requests_json(&emulator),
                        "clear" => {
                            emulator.clear_requests();
                            json!({"cleared": true})
                        }
                        "" => continue,
                        other => json!({"error": format!("unknown command `{other}`")}),
                    },
                    // Stdin closed (or unreadable): the parent is gone.
                    None => break,
                };
                if writeln!(out, "{reply}").is_err() || out.flush().is_err() {
                    break;
                }
            }
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    emulator.shutdown().await;
}
