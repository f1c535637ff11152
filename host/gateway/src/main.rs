//! The `bedrock-gateway` command line; see [`bedrock_gateway::cli`].

use std::process::ExitCode;

use bedrock_gateway::cli::{self, Cli};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let code = runtime.block_on(cli::run(cli, &env, &mut out, &mut err));
    // Whatever still runs (connections after a forced exit, a blocking read) must not hold the
    // exit: dropping the runtime would wait for blocking tasks without limit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    ExitCode::from(code)
}
