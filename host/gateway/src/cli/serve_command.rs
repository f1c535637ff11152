//! `serve`: the gateway process (start-up checks, SIGHUP reload, SIGTERM drain).

use std::io::Write;

use super::*;

/// Runs the gateway until SIGTERM or SIGINT; SIGHUP re-reads the settings file and the
/// environment fallbacks. Exit status 0 after draining, 2 when it cannot start safely.
pub(super) async fn serve_command(
    cli: &Cli,
    args: &ServeArgs,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    use tokio::signal::unix::{SignalKind, signal};

    let api_keys = match args.api_keys.as_slice() {
        [] => env("BEDROCK_GATEWAY_API_KEY").into_iter().collect(),
        keys => keys.to_vec(),
    };
    let config = serve::ServeConfig {
        listen: args.listen,
        api_keys: api_keys.into_iter().filter(|k| !k.is_empty()).collect(),
        max_concurrency: args.max_concurrency,
        max_body_bytes: args.max_body_bytes,
    };
    // Refuse an exposed, unauthenticated listener before any slow work.
    if let Err(why) =
        serve::auth::check_exposure(config.listen, &serve::auth::ClientKeys::new(&config.api_keys))
    {
        let _ = writeln!(err, "error: {why}");
        return EXIT_USAGE;
    }
    let failed = |err: &mut dyn Write, e: &ProviderError| {
        let _ = write!(err, "{}", output::error_text(e));
        if e.kind == ErrorKind::InvalidSettings { EXIT_USAGE } else { EXIT_PROVIDER }
    };
    let settings = match load_settings(cli.settings.as_deref(), env) {
        Ok(settings) => settings,
        Err(e) => return failed(err, &e),
    };
    let host_config = HostConfig {
        cache_dir: cli.cache_dir.clone(),
        call_timeout: std::time::Duration::from_secs(args.request_timeout),
        // Room for readiness probes beside the calls the server admits.
        max_concurrent_calls: u32::try_from(args.max_concurrency + 8).unwrap_or(u32::MAX),
        ..HostConfig::default()
    };
    let host = match load_host_with(cli, host_config) {
        Ok(host) => host,
        Err(e) => return failed(err, &e),
    };
    let (mut signals, mut hangups) =
        match (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            (Ok(term), Ok(hup)) => (term, hup),
            (Err(e), _) | (_, Err(e)) => {
                let _ = writeln!(err, "error: cannot listen for signals: {e}");
                return EXIT_PROVIDER;
            }
        };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = match serve::start(config, host, settings, async move {
        let _ = stopped.await;
    })
    .await
    {
        Ok(server) => server,
        Err(serve::StartError::InvalidSettings(e)) => return failed(err, &e),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return if matches!(e, serve::StartError::Unprotected(_)) {
                EXIT_USAGE
            } else {
                EXIT_PROVIDER
            };
        }
    };
    let _ = writeln!(out, "bedrock-gateway listening on http://{}", server.addr());
    let _ = out.flush();
    loop {
        tokio::select! {
            _ = signals.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = hangups.recv() => {
                let _ = server.apply_settings(load_settings(cli.settings.as_deref(), env)).await;
            }
        }
    }
    let _ = stop.send(());
    server.wait().await;
    0
}
