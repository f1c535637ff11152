//! `serve`: the gateway process (start-up checks, SIGHUP reload, SIGTERM drain).

use std::io::Write;
use std::pin::Pin;
use std::time::Duration;

use super::*;
use crate::InstanceReuse;

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
        max_connections: args.max_connections,
        cors_origins: args.cors_origins.clone(),
        timeouts: serve::conn::ClientTimeouts {
            body: Duration::from_secs(args.body_timeout),
            idle: Duration::from_secs(args.idle_timeout),
            ..serve::conn::ClientTimeouts::default()
        },
        threads: serve_threads(args.threads),
        ..serve::ServeConfig::default()
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
        call_timeout: Duration::from_secs(args.request_timeout),
        // Room for readiness probes beside the calls the server admits.
        max_concurrent_calls: u32::try_from(args.max_concurrency + 8).unwrap_or(u32::MAX),
        reuse: reuse_policy(args.reuse_instances, args.reuse_idle_timeout, args.max_concurrency),
        ..HostConfig::default()
    };
    let host = match load_host_with(cli, host_config) {
        Ok(host) => host,
        Err(e) => return failed(err, &e),
    };
    // A named credential source must supply keys before the gateway accepts a request.
    let settings = match credentials::prepare(&host, settings).await {
        Ok(prepared) => prepared,
        Err(e) => return failed(err, &e),
    };
    let reload_host = host.clone();
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
    let reloader = server.reloader();
    // A reload runs beside the signal loop, not inside it, so SIGTERM is heard while one runs.
    let mut reload: Pin<Box<dyn Future<Output = ()> + '_>> = Box::pin(std::future::pending());
    let mut reloading = false;
    loop {
        tokio::select! {
            _ = signals.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = hangups.recv() => {
                if reloading {
                    tracing::warn!("SIGHUP ignored: the previous settings reload is still running");
                } else {
                    reloading = true;
                    reload = Box::pin(reload_settings(
                        &reloader,
                        &reload_host,
                        cli.settings.as_deref(),
                        env,
                    ));
                }
            }
            () = &mut reload, if reloading => {
                reloading = false;
                reload = Box::pin(std::future::pending());
            }
        }
    }
    drop(reload);
    let _ = stop.send(());
    let drained = server.wait();
    tokio::pin!(drained);
    // A second SIGTERM or SIGINT does not wait for the drain.
    tokio::select! {
        () = &mut drained => 0,
        _ = signals.recv() => forced_exit(),
        _ = tokio::signal::ctrl_c() => forced_exit(),
    }
}

/// The instance reuse `serve` asks of the host: none for one call per instance, else up to
/// `calls` calls per instance, `idle_secs` idle, and at most one idle instance per admitted
/// call (more could never be taken at once).
fn reuse_policy(calls: u32, idle_secs: u64, max_concurrency: usize) -> Option<InstanceReuse> {
    (calls > 1).then(|| InstanceReuse {
        max_calls: calls,
        idle_timeout: Duration::from_secs(idle_secs),
        max_idle: u32::try_from(max_concurrency).unwrap_or(u32::MAX),
    })
}

/// The serving threads for `--threads`: as given, or one per CPU for 0.
fn serve_threads(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
}

/// The exit status after a second signal cut the drain short.
fn forced_exit() -> u8 {
    tracing::warn!("second signal: exiting now without waiting for the requests in flight");
    EXIT_PROVIDER
}

/// How long a reload may take to read the settings file (a hung network mount, say).
const RELOAD_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Reloads the settings for SIGHUP. The file is first read on the blocking pool, with the size
/// cap and regular-file check of [`settings_file::read`] and a deadline, so a FIFO, a device or
/// a hung mount cannot freeze the signal loop; only a file that passed is then loaded (with the
/// environment fallbacks), its credential source read again (a new profile, role or key pair
/// applies without a restart), and validated.
async fn reload_settings(
    reloader: &serve::Reloader,
    host: &Host,
    path: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) {
    if let Some(path) = path {
        let owned = path.to_path_buf();
        let read = tokio::task::spawn_blocking(move || settings_file::read(&owned).map(drop));
        let failure = match tokio::time::timeout(RELOAD_READ_TIMEOUT, read).await {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(e))) => Some(format!("{e:#}")),
            Ok(Err(e)) => Some(format!("the read failed: {e}")),
            Err(_) => {
                Some(format!("it could not be read within {} s", RELOAD_READ_TIMEOUT.as_secs()))
            }
        };
        if let Some(why) = failure {
            let e = anyhow::anyhow!(why)
                .context(format!("cannot read the settings file {}", path.display()));
            let _ = reloader.apply(Err::<Value, _>(settings_load_error(&e))).await;
            return;
        }
    }
    let loaded = match load_settings(path, env) {
        Ok(value) => credentials::prepare(host, value).await,
        Err(e) => Err(e),
    };
    let _ = reloader.apply(loaded).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuse_flags_become_the_hosts_policy() {
        let rows = [
            // (calls, idle s, concurrency) -> policy
            ((1, 30, 64), None),
            ((2, 30, 64), Some((2, 30, 64))),
            ((1000, 5, 8), Some((1000, 5, 8))),
        ];
        for ((calls, idle, concurrency), want) in rows {
            let got = reuse_policy(calls, idle, concurrency)
                .map(|r| (r.max_calls, r.idle_timeout.as_secs(), r.max_idle));
            assert_eq!(got, want, "{calls} {idle} {concurrency}");
        }
    }

    #[test]
    fn zero_threads_means_one_per_cpu() {
        assert!(serve_threads(0) >= 1);
        assert_eq!(serve_threads(1), 1);
        assert_eq!(serve_threads(3), 3);
    }
}
