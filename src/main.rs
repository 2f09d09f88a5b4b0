//! The `igny8` command: parse flags, load settings, then serve, migrate, validate or print.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::sync::mpsc;

use igny8::app::App;
use igny8::reload::Reloader;
use igny8::settings::{DEFAULT_MAIN_FILE, Settings, Sources};
use igny8::shutdown::{Shutdown, Signals};
use igny8::store::Store;
use igny8::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "igny8",
    version,
    about = "Content sync, linking and optimization daemon"
)]
struct Cli {
    /// Main configuration file; drop-ins are read from conf.d/ beside it.
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Overrides http.listen.
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Overrides log.level (a filter such as `info` or `igny8=debug`).
    #[arg(long, global = true, value_name = "FILTER")]
    log_level: Option<String>,
    /// Overrides log.format: auto, human or json.
    #[arg(long, global = true, value_name = "FORMAT")]
    log_format: Option<String>,
    /// Overrides jobs.workers.
    #[arg(long, global = true, value_name = "N")]
    workers: Option<u32>,
    /// Overrides data_dir.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: HTTP API, job workers and scheduler.
    Serve,
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Check the configuration; exit non-zero naming every problem.
    Validate,
    /// Print the effective configuration, secrets redacted.
    PrintConfig,
}

impl Cli {
    fn sources(&self) -> Sources {
        let mut overrides = Vec::new();
        if let Some(listen) = self.listen {
            overrides.push(("http.listen", listen.to_string()));
        }
        if let Some(level) = &self.log_level {
            overrides.push(("log.level", level.clone()));
        }
        if let Some(format) = &self.log_format {
            overrides.push(("log.format", format.clone()));
        }
        if let Some(workers) = self.workers {
            overrides.push(("jobs.workers", workers.to_string()));
        }
        if let Some(dir) = &self.data_dir {
            overrides.push(("data_dir", dir.display().to_string()));
        }
        Sources {
            // Absolute, so messages name the file unambiguously and file events (which carry
            // absolute paths) can be matched against it.
            main_file: self
                .config
                .as_deref()
                .map_or_else(|| PathBuf::from(DEFAULT_MAIN_FILE), absolute),
            main_file_explicit: self.config.is_some(),
            env: std::env::vars().collect::<BTreeMap<_, _>>(),
            overrides,
        }
    }
}

fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let sources = cli.sources();
    let settings = match Settings::load(&sources) {
        Ok(settings) => settings,
        Err(err) => {
            eprint!("{err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Validate => {
            println!("configuration is valid");
            Ok(())
        }
        Command::PrintConfig => {
            print!("{}", settings.to_redacted_toml());
            Ok(())
        }
        Command::Migrate => migrate(settings).await,
        Command::Serve => serve(sources, settings).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "Exiting on error.");
            eprintln!("igny8: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database)
        .await
        .with_context(|| format!("could not connect to {:?}", settings.database.url))?;
    store
        .migrate()
        .await
        .context("could not apply migrations")?;
    let status = store.schema_status().await?;
    println!("schema is at migration {}", status.applied);
    Ok(())
}

async fn serve(sources: Sources, settings: Settings) -> anyhow::Result<()> {
    let telemetry = telemetry::init(&settings.log).map_err(anyhow::Error::msg)?;
    let signals = Signals::install().context("could not install signal handlers")?;
    let app = App::build(settings.clone()).await?;
    let shutdown = Shutdown::new();
    let reloader = Reloader::new(sources, settings, Some(telemetry));
    let live = reloader.subscribe();
    let (reload_tx, reload_rx) = mpsc::channel(1);
    tokio::spawn(signals.handle(
        shutdown.clone(),
        move || live.borrow().shutdown.drain(),
        reload_tx,
    ));
    tokio::spawn(reloader.run(reload_rx, shutdown.clone()));
    app.run(shutdown).await
}
