//! The command line: `serve`, `check-config`, `sign`, `session create`.
//!
//! Invariant: `fbbridge` with no arguments is `fbbridge serve`, which with no `--config`
//! (and no `FBBRIDGE_CONFIG`) runs the embedded demo.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::{build_store, shutdown_signal, Application};
use crate::config::{load_file, StoreBackend};
use crate::domain::secrets::sign;
use crate::domain::Uid;
use crate::services::sessions::create_session;
use crate::store::AnyStore;

#[derive(Parser)]
#[command(
    name = "fbbridge",
    version,
    about = "Legacy Facebook Platform REST gateway for OpenSocial platforms"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (the embedded demo when no configuration is given).
    Serve {
        #[arg(long, env = "FBBRIDGE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Run delivery workers only (no HTTP), against the configured Redis.
    Worker {
        #[arg(long, env = "FBBRIDGE_CONFIG")]
        config: PathBuf,
        /// How many workers; default `outbox.workers` (at least 1).
        #[arg(long)]
        count: Option<usize>,
    },
    /// Validate a configuration file and say what is wrong, naming the key.
    CheckConfig {
        #[arg(long, env = "FBBRIDGE_CONFIG")]
        config: PathBuf,
    },
    /// Print the legacy signature of the given parameters.
    Sign {
        #[arg(long)]
        secret: String,
        /// Read urlencoded bodies from standard input, one a line, and print each with its
        /// `&sig=` appended (e.g. to sign many captured calls at once).
        #[arg(long)]
        bodies: bool,
        /// Parameters as key=value (a `sig` among them is ignored).
        #[arg(value_name = "KEY=VALUE")]
        params: Vec<String>,
    },
    /// Manage sessions in the configured store.
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Create a session and print its key and secret.
    Create {
        #[arg(long, env = "FBBRIDGE_CONFIG")]
        config: PathBuf,
        #[arg(long)]
        api_key: String,
        #[arg(long)]
        uid: String,
        #[arg(long)]
        ttl: Option<u64>,
    },
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve { config: None }) {
        Command::Serve { config } => serve(config),
        Command::Worker { config, count } => worker(config, count),
        Command::CheckConfig { config } => match load_file(&config) {
            Ok(c) => {
                let apps: Vec<String> = c
                    .apps
                    .iter()
                    .map(|a| format!("{} ({})", a.api_key, a.platform.as_str()))
                    .collect();
                println!(
                    "{}: OK, {} app(s): {}; store {:?}",
                    config.display(),
                    c.apps.len(),
                    apps.join(", "),
                    c.store.backend
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", config.display());
                ExitCode::from(2)
            }
        },
        Command::Sign {
            secret,
            bodies: true,
            ..
        } => sign_bodies(secret.as_bytes()),
        Command::Sign { secret, params, .. } => {
            let mut pairs = Vec::with_capacity(params.len());
            for p in &params {
                match p.split_once('=') {
                    Some((k, v)) => pairs.push((k, v.as_bytes())),
                    None => {
                        eprintln!("`{p}` is not key=value");
                        return ExitCode::from(2);
                    }
                }
            }
            println!("{}", sign(pairs, secret.as_bytes()));
            ExitCode::SUCCESS
        }
        Command::Session {
            command:
                SessionCommand::Create {
                    config,
                    api_key,
                    uid,
                    ttl,
                },
        } => session_create(config, &api_key, &uid, ttl),
    }
}

/// `fbbridge sign --bodies`: each stdin line (a urlencoded body) printed back signed. The
/// signature is over the decoded values, as the gateway checks it.
fn sign_bodies(secret: &[u8]) -> ExitCode {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            return ExitCode::FAILURE;
        };
        let body = line.trim_end();
        if body.is_empty() {
            continue;
        }
        let pairs = crate::http::legacy::params::parse_urlencoded(body.as_bytes());
        let sig = sign(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
            secret,
        );
        if writeln!(out, "{body}&sig={sig}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn serve(config_path: Option<PathBuf>) -> ExitCode {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let demo = config_path.is_none();
    let config = match &config_path {
        Some(path) => load_file(path),
        None => crate::demo::config(env),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.server.log_format == crate::config::LogFormat::Json);
    crate::app::raise_fd_limit();
    runtime().block_on(async move {
        let app = match Application::build(config).await {
            Ok(app) => app,
            Err(e) => {
                eprintln!("cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let config = app.config();
        if demo {
            match crate::demo::seed(&app.store(), &config).await {
                Ok(session) => {
                    // Not println!: a closed stdout (`| head`) must not stop the gateway.
                    use std::io::Write as _;
                    let _ = writeln!(std::io::stdout(), "{}", crate::demo::banner(&config, &session));
                }
                Err(e) => {
                    eprintln!("cannot seed the demo: {e}");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            tracing::info!(url = %config.public_base(), port = app.port(), apps = config.apps.len(), "fbbridge listening");
        }
        match app.run_until_stopped(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn worker(config_path: PathBuf, count: Option<usize>) -> ExitCode {
    let config = match load_file(&config_path) {
        Ok(c) => std::sync::Arc::new(c),
        Err(e) => {
            eprintln!("{}: {e}", config_path.display());
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.server.log_format == crate::config::LogFormat::Json);
    crate::app::raise_fd_limit();
    if config.store.backend == StoreBackend::Memory {
        eprintln!(
            "a separate worker needs the redis store: the memory store is private to `serve`"
        );
        return ExitCode::from(2);
    }
    let count = count.unwrap_or(config.outbox.workers).max(1);
    runtime().block_on(async move {
        let store = match build_store(&config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        if let AnyStore::Redis(redis) = &store {
            if let Err(e) = crate::app::check_schema(redis).await {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let workers = crate::outbox::spawn_pool(&store, &config, count, stop_rx);
        tracing::info!(count, "delivery workers running");
        shutdown_signal().await;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        ExitCode::SUCCESS
    })
}

fn session_create(config: PathBuf, api_key: &str, uid: &str, ttl: Option<u64>) -> ExitCode {
    let config = match load_file(&config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: {e}", config.display());
            return ExitCode::from(2);
        }
    };
    let Some(app) = config.app(api_key) else {
        eprintln!("no app with api_key `{api_key}` in the configuration");
        return ExitCode::from(2);
    };
    let Some(uid) = Uid::parse(uid) else {
        eprintln!("`{uid}` is not a user id");
        return ExitCode::from(2);
    };
    let ttl = match ttl.map(crate::domain::SessionTtl::parse).transpose() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("--ttl: {e}");
            return ExitCode::from(2);
        }
    };
    if config.store.backend == StoreBackend::Memory {
        eprintln!("the memory store keeps nothing between processes: use the running gateway's admin API (POST /admin/v1/sessions)");
        return ExitCode::from(2);
    }
    runtime().block_on(async {
        let store: AnyStore = match build_store(&config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        if let AnyStore::Redis(redis) = &store {
            if let Err(e) = crate::app::check_schema(redis).await {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
        match create_session(&store, app, uid, ttl).await {
            Ok(s) => {
                println!("session_key={}", s.session_key);
                println!("session_secret={}", s.session_secret);
                println!("uid={}", s.uid);
                println!(
                    "expires={}",
                    s.expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        }
    })
}
