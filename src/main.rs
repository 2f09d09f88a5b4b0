//! The `igny8` command: parse flags, load settings, then serve, migrate, validate, print, import
//! or run the demo.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use igny8::app::{self, App};
use igny8::automation::Automation;
use igny8::domain::content::EntryPoint;
use igny8::domain::credits::IdempotencyKey;
use igny8::domain::ids::{AccountId, GrantId, RuleId, TokenId, UserId};
use igny8::domain::role::Role;
use igny8::domain::site::SiteName;
use igny8::domain::token::TokenSecret;
use igny8::domain::user::{Email, SiteAccess};
use igny8::file_analysis;
use igny8::pipeline::language::Language;
use igny8::pipeline::ruleset::Profile;
use igny8::processing::{ProcessingError, RunKey};
use igny8::reload::Reloader;
use igny8::settings::{DEFAULT_MAIN_FILE, Settings, Sources};
use igny8::shutdown::{Shutdown, Signals};
use igny8::sites::config::ConfigSites;
use igny8::store::Store;
use igny8::store::StoreError;
use igny8::store::credits::AdditionKind;
use igny8::store::site_grants::{Grantee, TOKEN_UNKNOWN, USER_UNKNOWN};
use igny8::store::sites::Site;
use igny8::store::sync_runs::{RunCounts, RunKind, Trigger};
use igny8::store::users::EMAIL_TAKEN;
use igny8::sync::import::{self, ImportError, ImportReport};
use igny8::sync::jobs::SyncServices;
use igny8::sync::pull::{PullObserver, pull};
use igny8::sync::push::{preview, push_site};
use igny8::sync::reconcile::reconcile_run;
use igny8::sync::site_connector::{self, wordpress};
use igny8::telemetry;

/// The pipeline allocates and frees many small strings and vectors per page (words, sentences,
/// readings); mimalloc serves them from per-thread free lists at a fraction of the system
/// allocator's cost. The pipeline benchmark runs on it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Inspect automation rules and try their conditions.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Manage the people of an account.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Give editors and viewers access to sites.
    Grant {
        #[command(subcommand)]
        command: GrantCommand,
    },
    /// Inspect sites.
    Site {
        #[command(subcommand)]
        command: SiteCommand,
    },
    /// Pull sites now, in the foreground, with progress.
    Sync {
        /// Only this site (by name); every site when absent.
        #[arg(long)]
        site: Option<SiteName>,
        /// The account, when several have a site of that name.
        #[arg(long)]
        account: Option<AccountId>,
        /// Read everything from the start, then sweep for deletes.
        #[arg(long)]
        full: bool,
    },
    /// Push queued changes to the CMS now, in the foreground.
    Push {
        /// Only this site (by name); every site when absent.
        #[arg(long)]
        site: Option<SiteName>,
        /// The account, when several have a site of that name.
        #[arg(long)]
        account: Option<AccountId>,
        /// Print a unified diff per item instead of writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import content from export files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Analyse HTML files (and the .html/.htm files under directories) as the pipeline does,
    /// without a database.
    Analyze {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The focus keyphrase the SEO assessments look for.
        #[arg(long)]
        keyphrase: Option<String>,
        /// The SEO title.
        #[arg(long)]
        title: Option<String>,
        /// The meta description.
        #[arg(long = "meta")]
        meta_description: Option<String>,
        /// The URL slug.
        #[arg(long)]
        slug: Option<String>,
        /// The language of the text: en, de, nl, fr, es, it, ru or pt.
        #[arg(long, default_value = "en", value_parser = parse_locale)]
        locale: Language,
        /// The ruleset profile: default, or cornerstone (stricter).
        #[arg(long, default_value = "default", value_parser = parse_profile)]
        profile: Profile,
        /// One JSON object per file and line instead of a table.
        #[arg(long)]
        json: bool,
        /// With --json: only words, sentences, syllables and reading ease, without the
        /// assessments.
        #[arg(long, requires = "json")]
        numbers_only: bool,
    },
    /// Link a site's content now, in the foreground.
    Link {
        /// Only this site (by name); every site when absent.
        #[arg(long)]
        site: Option<SiteName>,
        /// The account, when several have a site of that name.
        #[arg(long)]
        account: Option<AccountId>,
        /// List the links each item would get, writing nothing and charging nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run the pipeline over the items waiting for it, in the foreground.
    Process {
        /// Only this site (by name); every site when absent.
        #[arg(long)]
        site: Option<SiteName>,
        /// The account, when several have a site of that name.
        #[arg(long)]
        account: Option<AccountId>,
    },
    /// Import the sample site, link it and measure its readability, offline; prints a report.
    Demo {
        /// The WordPress export to use instead of the sample site.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import a WordPress export (WXR) into a site's content.
    Wxr {
        file: PathBuf,
        /// The site to import into.
        #[arg(long)]
        site: SiteName,
        /// The site's account, needed when several accounts have a site of that name.
        #[arg(long)]
        account: Option<AccountId>,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account and print it with an owner token (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// A plan configured under [plans.NAME].
        #[arg(long)]
        plan: Option<String>,
        /// Credits to start with.
        #[arg(long, default_value_t = 0)]
        credits: i64,
        /// Print {"account_id": ..., "token": ...}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// List an account's rules.
    List {
        #[arg(long)]
        account: AccountId,
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Show a rule with its counters, as JSON.
    Show {
        id: RuleId,
        #[arg(long)]
        account: AccountId,
    },
    /// Evaluate a rule's conditions against a context (or a sample for its trigger) and say
    /// what each action would do; nothing is written.
    Test {
        id: RuleId,
        #[arg(long)]
        account: AccountId,
        /// The context as JSON, e.g. '{"content": {"word_count": 900}}'.
        #[arg(long, conflicts_with = "context_file")]
        context: Option<String>,
        /// A file holding the context as JSON.
        #[arg(long, value_name = "FILE")]
        context_file: Option<PathBuf>,
        /// Print the whole outcome as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SiteCommand {
    /// Diagnose how igny8 reaches a site: address, REST API, credentials, capabilities.
    Check {
        name: SiteName,
        /// The account, when several have a site of that name.
        #[arg(long)]
        account: Option<AccountId>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a person to an account; make tokens for them with `token create --user`.
    Create {
        #[arg(long)]
        account: AccountId,
        #[arg(long)]
        email: Email,
        /// owner, admin, editor or viewer.
        #[arg(long)]
        role: Role,
        #[arg(long, default_value = "")]
        name: String,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum GrantCommand {
    /// Let a user (and all their tokens) or one token see a site, and edit it unless
    /// `--access view`.
    Create {
        #[arg(long)]
        account: AccountId,
        /// The site's name.
        #[arg(long)]
        site: SiteName,
        #[arg(long, required_unless_present = "token", conflicts_with = "token")]
        user: Option<UserId>,
        #[arg(long)]
        token: Option<TokenId>,
        /// view or edit.
        #[arg(long, default_value = "edit")]
        access: SiteAccess,
        /// Print the grant as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a grant by id; its grantee stops seeing the site at once.
    Revoke {
        #[arg(long)]
        account: AccountId,
        id: GrantId,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for an account and print it (shown once).
    Create {
        #[arg(long)]
        account: AccountId,
        /// owner, admin, editor or viewer.
        #[arg(long)]
        role: Role,
        #[arg(long)]
        name: String,
        /// Make the token act for this user (at most the user's role, the user's grants).
        #[arg(long)]
        user: Option<UserId>,
        /// Print {"token_id": ..., "token": ...}.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id; it stops working at once.
    Revoke { id: TokenId },
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
        Command::Account {
            command:
                AccountCommand::Create {
                    name,
                    plan,
                    credits,
                    json,
                },
        } => create_account(settings, &name, plan.as_deref(), credits, json).await,
        Command::Token {
            command:
                TokenCommand::Create {
                    account,
                    role,
                    name,
                    user,
                    json,
                },
        } => create_token(settings, account, role, &name, user, json).await,
        Command::User {
            command:
                UserCommand::Create {
                    account,
                    email,
                    role,
                    name,
                    json,
                },
        } => create_user(settings, account, &email, role, &name, json).await,
        Command::Grant {
            command:
                GrantCommand::Create {
                    account,
                    site,
                    user,
                    token,
                    access,
                    json,
                },
        } => {
            let grantee = match (user, token) {
                (Some(user), _) => Grantee::User(user),
                (None, Some(token)) => Grantee::Token(token),
                (None, None) => unreachable!("clap requires --user or --token"),
            };
            create_grant(settings, account, &site, grantee, access, json).await
        }
        Command::Grant {
            command: GrantCommand::Revoke { account, id },
        } => revoke_grant(settings, account, id).await,
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => revoke_token(settings, id).await,
        Command::Import {
            command:
                ImportCommand::Wxr {
                    file,
                    site,
                    account,
                },
        } => import_wxr(settings, &file, &site, account).await,
        Command::Demo { file } => demo(settings, file.as_deref()).await,
        Command::Analyze {
            paths,
            keyphrase,
            title,
            meta_description,
            slug,
            locale,
            profile,
            json,
            numbers_only,
        } => analyze(
            &paths,
            &file_analysis::Options {
                keyphrase,
                title,
                meta_description,
                slug,
                language: locale,
                profile,
                json,
                numbers_only,
            },
        ),
        Command::Link {
            site,
            account,
            dry_run,
        } => link(settings, site, account, dry_run).await,
        Command::Process { site, account } => process(settings, site, account).await,
        Command::Serve => serve(sources, settings).await,
        Command::Site {
            command: SiteCommand::Check { name, account },
        } => check_site(settings, name, account).await,
        Command::Sync {
            site,
            account,
            full,
        } => sync(settings, site, account, full).await,
        Command::Rules { command } => rules(settings, command).await,
        Command::Push {
            site,
            account,
            dry_run,
        } => push(settings, site, account, dry_run).await,
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
    let store = app::connect(&settings).await?;
    store
        .migrate()
        .await
        .context("could not apply migrations")?;
    let status = store.schema_status().await?;
    println!("schema is at migration {}", status.applied);
    Ok(())
}

/// The store for an administrative command, prepared as `serve` would prepare it.
async fn admin_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = app::connect(settings).await?;
    app::prepare(settings, &store).await?;
    Ok(store)
}

async fn create_account(
    settings: Settings,
    name: &str,
    plan: Option<&str>,
    credits: i64,
    json: bool,
) -> anyhow::Result<()> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 200,
        "--name: expected 1 to 200 characters"
    );
    anyhow::ensure!(
        credits >= 0,
        "--credits: expected 0 or more, found {credits}"
    );
    let store = admin_store(&settings).await?;
    let account = match store.create_account(name, plan).await {
        Err(StoreError::NotFound) => {
            let known: Vec<&str> = settings.plans.keys().map(String::as_str).collect();
            anyhow::bail!(
                "--plan: no plan named {:?} is configured (configured: {})",
                plan.unwrap_or_default(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
        other => other.context("could not create the account")?,
    };
    if credits > 0 {
        let key = IdempotencyKey::parse(&format!("initial:{}", account.id))
            .expect("a short printable key");
        store
            .add_credits(
                account.id,
                AdditionKind::Add,
                credits,
                &key,
                "initial_credits",
                Some("credits given at account creation"),
            )
            .await
            .context("could not add the initial credits")?;
    }
    let secret = TokenSecret::generate(account.id);
    store
        .create_token(&secret, "owner", Role::Owner)
        .await
        .context("could not create the owner token")?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "account_id": account.id, "token": secret.reveal() })
        );
    } else {
        println!(
            "account {} {:?} created (plan: {}, credits: {credits})",
            account.id,
            account.name,
            account.plan.as_deref().unwrap_or("none")
        );
        println!("owner token (shown only now): {}", secret.reveal());
    }
    Ok(())
}

async fn create_token(
    settings: Settings,
    account: AccountId,
    role: Role,
    name: &str,
    user: Option<UserId>,
    json: bool,
) -> anyhow::Result<()> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 100,
        "--name: expected 1 to 100 characters"
    );
    let store = admin_store(&settings).await?;
    store
        .account(account)
        .await
        .with_context(|| format!("--account: no account {account}"))?;
    let secret = TokenSecret::generate(account);
    let token = match user {
        None => store.create_token(&secret, name, role).await,
        Some(user) => {
            let person = store
                .user(account, user)
                .await
                .with_context(|| format!("--user: no user {user} in account {account}"))?;
            anyhow::ensure!(
                person.role.at_least(role),
                "--role: expected at most the user's role, {}",
                person.role
            );
            store.create_user_token(&secret, name, role, user).await
        }
    }
    .context("could not create the token")?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "token_id": token.id, "token": secret.reveal() })
        );
    } else {
        println!(
            "token {} {:?} ({role}) created for account {account}",
            token.id, token.name
        );
        println!("token (shown only now): {}", secret.reveal());
    }
    Ok(())
}

async fn create_user(
    settings: Settings,
    account: AccountId,
    email: &Email,
    role: Role,
    name: &str,
    json: bool,
) -> anyhow::Result<()> {
    let name = name.trim();
    anyhow::ensure!(
        name.chars().count() <= 100,
        "--name: expected at most 100 characters"
    );
    let store = admin_store(&settings).await?;
    store
        .account(account)
        .await
        .with_context(|| format!("--account: no account {account}"))?;
    let user = match store.create_user(account, email, name, role).await {
        Err(StoreError::Constraint { constraint }) if constraint == EMAIL_TAKEN => {
            anyhow::bail!("--email: account {account} already has a user {email}")
        }
        other => other.context("could not create the user")?,
    };
    if json {
        println!(
            "{}",
            serde_json::json!({
                "user_id": user.id, "account_id": account, "email": user.email, "role": user.role,
            })
        );
    } else {
        println!(
            "user {} {} ({role}) created in account {account}",
            user.id, user.email
        );
    }
    Ok(())
}

async fn create_grant(
    settings: Settings,
    account: AccountId,
    site: &SiteName,
    grantee: Grantee,
    access: SiteAccess,
    json: bool,
) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let site = import::find_site(&store, site, Some(account))
        .await
        .context("--site")?;
    let grant = match store.grant_site(account, site.id, grantee, access).await {
        Err(StoreError::Constraint { constraint }) if constraint == USER_UNKNOWN => {
            anyhow::bail!("--user: account {account} has no such user")
        }
        Err(StoreError::Constraint { constraint }) if constraint == TOKEN_UNKNOWN => {
            anyhow::bail!("--token: account {account} has no such token")
        }
        other => other.context("could not grant access")?,
    };
    if json {
        println!(
            "{}",
            serde_json::json!({
                "grant_id": grant.id, "site_id": grant.site_id, "user_id": grant.user_id,
                "token_id": grant.api_token_id, "access": grant.access,
            })
        );
    } else {
        println!(
            "grant {} on site {}: {access:?} access",
            grant.id, site.name
        );
    }
    Ok(())
}

async fn revoke_grant(settings: Settings, account: AccountId, id: GrantId) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let site = store
        .grant_site_id(account, id)
        .await
        .with_context(|| format!("no grant {id} in account {account}"))?;
    store.revoke_grant(account, site, id).await?;
    println!("grant {id} of account {account} revoked");
    Ok(())
}

async fn rules(settings: Settings, command: RulesCommand) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let ai = app::ai_provider(&settings)?;
    let automation = Automation::new(
        &settings,
        store.clone(),
        app::processing(&settings, &store),
        app::planner(&settings, &store, ai.clone()),
        app::writer(&settings, &store, ai),
    );
    match command {
        RulesCommand::List { account, json } => {
            let mut page = 1;
            loop {
                let rules = store
                    .rules(
                        account,
                        igny8::store::Page {
                            page,
                            page_size: 100,
                        },
                    )
                    .await?;
                for rule in &rules.items {
                    if json {
                        println!("{}", rule_json(rule));
                    } else {
                        println!(
                            "{:>6}  {:<8}  {:<18}  {:>5} today  {}",
                            rule.id,
                            if rule.is_active { "active" } else { "inactive" },
                            rule.schedule.as_deref().map_or_else(
                                || rule.trigger_type.clone(),
                                |cron| format!("cron {cron}")
                            ),
                            rule.execution_count_today,
                            rule.name
                        );
                    }
                }
                if i64::from(page) * 100 >= rules.total {
                    break;
                }
                page += 1;
            }
        }
        RulesCommand::Show { id, account } => {
            let rule = store
                .rule(account, id)
                .await
                .with_context(|| format!("no rule {id} in account {account}"))?;
            println!("{}", serde_json::to_string_pretty(&rule_json(&rule))?);
        }
        RulesCommand::Test {
            id,
            account,
            context,
            context_file,
            json,
        } => {
            let text = match (context, context_file) {
                (Some(text), _) => Some(text),
                (None, Some(file)) => {
                    Some(std::fs::read_to_string(&file).with_context(|| {
                        format!("--context-file: cannot read {}", file.display())
                    })?)
                }
                (None, None) => None,
            };
            let context = text
                .map(|text| serde_json::from_str::<serde_json::Value>(&text))
                .transpose()
                .context("--context: not JSON")?;
            let run = automation
                .test(account, id, context)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&run)?);
                return Ok(());
            }
            let source = if run.sample {
                "a sample context"
            } else {
                "the context"
            };
            println!(
                "conditions ({}) against {source}: {}",
                run.evaluation.mode.as_str(),
                if run.evaluation.met { "met" } else { "not met" }
            );
            for condition in &run.evaluation.conditions {
                let outcome = serde_json::to_value(&condition.outcome)?;
                println!(
                    "  {} {} {} -> {} (found {})",
                    condition.field.as_str(),
                    condition.operator,
                    condition.value,
                    outcome["outcome"].as_str().unwrap_or_default(),
                    condition
                        .actual
                        .as_ref()
                        .map_or_else(|| "nothing".to_owned(), |v| v.to_string())
                );
            }
            for action in &run.actions {
                println!(
                    "  action {}: {}{}",
                    action.kind.as_str(),
                    action.would,
                    action
                        .reason
                        .as_deref()
                        .map_or_else(String::new, |reason| format!(" ({reason})"))
                );
            }
        }
    }
    Ok(())
}

/// A rule as the CLI prints it: its definition's fields and its counters.
fn rule_json(rule: &igny8::store::automation_rules::StoredRule) -> serde_json::Value {
    serde_json::json!({
        "id": rule.id,
        "name": rule.name,
        "description": rule.description,
        "site_id": rule.site_id,
        "trigger_type": rule.trigger_type,
        "schedule": rule.schedule,
        "timezone": rule.timezone,
        "conditions": rule.conditions,
        "condition_mode": rule.condition_mode,
        "actions": rule.actions,
        "is_active": rule.is_active,
        "max_executions_per_day": rule.max_executions_per_day,
        "credit_limit_per_execution": rule.credit_limit_per_execution,
        "last_executed_at": rule.last_executed_at,
        "execution_count_today": rule.execution_count_today,
        "execution_count_date": rule.execution_count_date,
    })
}

async fn revoke_token(settings: Settings, id: TokenId) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let account = store
        .token_account(id)
        .await
        .with_context(|| format!("no token {id}"))?;
    let token = store.revoke_token(account, id).await?;
    println!(
        "token {} {:?} of account {account} revoked",
        token.id, token.name
    );
    Ok(())
}

async fn import_wxr(
    settings: Settings,
    file: &Path,
    name: &SiteName,
    account: Option<AccountId>,
) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let site = match import::find_site(&store, name, account).await {
        Err(err @ ImportError::AmbiguousSite { .. }) => {
            anyhow::bail!("{err}; choose one with --account")
        }
        other => other?,
    };
    let progress = ImportProgress::new(file);
    let outcome = import::import_file(&store, &site, file, Trigger::Manual, &progress).await;
    progress.finish();
    match outcome {
        Ok(report) => {
            print_import(&site, &report);
            Ok(())
        }
        Err(err) => {
            if let ImportError::Malformed { report, .. } = &err {
                print_import(&site, report);
            }
            Err(anyhow::Error::new(err).context(format!("importing {}", file.display())))
        }
    }
}

fn print_import(site: &Site, report: &ImportReport) {
    println!(
        "site {} (account {}), sync run {}:",
        site.name, site.account_id, report.run
    );
    for (post_type, statuses) in &report.read {
        let total: u64 = statuses.values().sum();
        let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s} {n}")).collect();
        println!("  {post_type}: {total} ({})", statuses.join(", "));
    }
    println!(
        "  imported {}, updated {}, unchanged {}",
        report.created, report.updated, report.unchanged
    );
    let skipped: Vec<String> = report
        .skipped
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    println!(
        "  skipped: {}",
        if skipped.is_empty() {
            "none".to_owned()
        } else {
            skipped.join(", ")
        }
    );
    println!("  bad items: {}", report.bad.len());
    for bad in &report.bad {
        println!("    {}", bad.message);
    }
}

/// A byte-progress bar on a terminal; nothing otherwise.
struct ImportProgress(Option<ProgressBar>);

impl ImportProgress {
    fn new(file: &Path) -> ImportProgress {
        let size = std::fs::metadata(file).map(|m| m.len()).ok();
        ImportProgress(
            size.filter(|_| std::io::stderr().is_terminal())
                .map(|size| {
                    ProgressBar::new(size).with_style(
                        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                            .expect("a valid template"),
                    )
                }),
        )
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl import::ImportObserver for ImportProgress {
    fn batch_committed(&self, position: u64, report: &ImportReport) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
            bar.set_message(format!("{} items", report.items_read()));
        }
    }
}

async fn demo(settings: Settings, file: Option<&Path>) -> anyhow::Result<()> {
    let file = igny8::demo::sample_file(file);
    let store = admin_store(&settings).await?;
    let processing = app::processing(&settings, &store);
    let report = igny8::demo::run(&store, &processing, &file).await?;
    print!("{report}");
    Ok(())
}

fn parse_locale(text: &str) -> Result<Language, String> {
    Language::from_locale(text)
        .ok_or_else(|| format!("expected one of en, de, nl, fr, es, it, ru, pt; found {text:?}"))
}

fn parse_profile(text: &str) -> Result<Profile, String> {
    Profile::parse(text).map_err(|err| err.to_string())
}

fn analyze(paths: &[PathBuf], options: &file_analysis::Options) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let failures = file_analysis::run(paths, options, &mut stdout.lock())
        .context("could not write the results")?;
    for failure in &failures {
        eprintln!("igny8: {}: {}", failure.path.display(), failure.reason);
    }
    anyhow::ensure!(
        failures.is_empty(),
        "{} file(s) could not be analysed",
        failures.len()
    );
    Ok(())
}

async fn link(
    settings: Settings,
    site: Option<SiteName>,
    account: Option<AccountId>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let processing = app::processing(&settings, &store);
    for site in chosen_sites(&store, site.as_ref(), account).await? {
        if dry_run {
            let previews = processing.preview_links(&site).await?;
            let total: usize = previews.iter().map(|p| p.links.len()).sum();
            println!(
                "{}: {total} link(s) would be added to {} item(s)",
                site.name,
                previews.len()
            );
            for preview in previews {
                println!("  {} (content {})", preview.title, preview.content);
                for link in preview.links {
                    println!(
                        "    \"{}\" -> {}  [{}, score {:.3}]",
                        link.anchor, link.url, link.rule, link.score
                    );
                }
            }
            continue;
        }
        let run = RunKey::request(None);
        let (mut linked, mut added, mut credits) = (0, 0, 0);
        let mut after = None;
        loop {
            let items = store
                .live_items(site.account_id, site.id, after, 200)
                .await?;
            let Some(last) = items.last() else {
                break;
            };
            after = Some(last.id);
            for item in items {
                match processing.link(site.account_id, item.id, &run).await {
                    Ok(linking) => {
                        if !linking.added.is_empty() {
                            linked += 1;
                            added += linking.added.len();
                        }
                        credits += linking.credits_used;
                    }
                    Err(ProcessingError::NotProcessable { content, reason }) => {
                        println!("  content {content} skipped: {reason}");
                    }
                    Err(err) => {
                        return Err(err).with_context(|| {
                            format!("site {}: linking content {} failed", site.name, item.id)
                        });
                    }
                }
            }
        }
        println!(
            "{}: {added} link(s) added to {linked} item(s); {credits} credits used",
            site.name
        );
    }
    Ok(())
}

async fn process(
    settings: Settings,
    site: Option<SiteName>,
    account: Option<AccountId>,
) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let processing = app::processing(&settings, &store);
    let run = RunKey::request(None);
    for site in chosen_sites(&store, site.as_ref(), account).await? {
        let waiting = store
            .count_awaiting_pipeline(site.account_id, Some(site.id))
            .await?;
        let bar = ProgressBar::new(u64::try_from(waiting).unwrap_or(0))
            .with_prefix(site.name.to_string());
        bar.set_style(
            ProgressStyle::with_template("{prefix}: {wide_bar} {pos}/{len} [{elapsed}] {msg}")
                .expect("a valid template"),
        );
        let (mut done, mut left, mut pushes) = (0, 0, 0);
        let mut after = None;
        loop {
            let ids = store
                .awaiting_pipeline(site.account_id, Some(site.id), after, 200)
                .await?;
            let Some(&last) = ids.last() else {
                break;
            };
            after = Some(last);
            for id in ids {
                match processing
                    .process(site.account_id, id, EntryPoint::Manual, &run)
                    .await
                {
                    Ok(processed) => {
                        done += 1;
                        pushes += usize::from(processed.push.is_some());
                    }
                    Err(
                        err @ (ProcessingError::NotProcessable { .. } | ProcessingError::Stale(_)),
                    ) => {
                        left += 1;
                        bar.set_message(err.to_string());
                    }
                    Err(err) => {
                        bar.abandon();
                        return Err(err).with_context(|| {
                            format!("site {}: processing content {id} failed", site.name)
                        });
                    }
                }
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        println!(
            "{}: {done} item(s) processed, {left} left for later, {pushes} push(es) queued",
            site.name
        );
    }
    Ok(())
}

async fn serve(sources: Sources, settings: Settings) -> anyhow::Result<()> {
    let telemetry = telemetry::init(&settings.log).map_err(anyhow::Error::msg)?;
    let signals = Signals::install().context("could not install signal handlers")?;
    let app = App::build(settings.clone()).await?;
    let shutdown = Shutdown::new();
    let reloader = Reloader::new(sources, settings, Some(telemetry)).with_sites(app.config_sites());
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

/// What the sync commands talk to sites with: the configured sites reconciled first, so a
/// site declared in the file works from the CLI as it does in the daemon.
async fn sync_services(settings: &Settings, store: &Store) -> anyhow::Result<SyncServices> {
    let config_sites = ConfigSites::new(store.clone(), settings.data_dir.clone());
    config_sites
        .apply(&settings.sites)
        .await
        .context("could not set up the sites declared in the configuration")?;
    app::sync_services(settings, config_sites.secrets())
}

/// The sites a sync or push command works on: one by name, or every site.
async fn chosen_sites(
    store: &Store,
    name: Option<&SiteName>,
    account: Option<AccountId>,
) -> anyhow::Result<Vec<Site>> {
    let Some(name) = name else {
        let sites: Vec<Site> = store
            .all_sites()
            .await?
            .into_iter()
            .filter(|s| account.is_none_or(|a| s.account_id == a))
            .collect();
        anyhow::ensure!(!sites.is_empty(), "no sites are configured");
        return Ok(sites);
    };
    let mut sites: Vec<Site> = store
        .sites_named(name)
        .await?
        .into_iter()
        .filter(|s| account.is_none_or(|a| s.account_id == a))
        .collect();
    match sites.len() {
        0 => anyhow::bail!("--site: no site named {name}"),
        1 => Ok(sites.remove(0)).map(|s| vec![s]),
        _ => anyhow::bail!(
            "--site: accounts {} each have a site named {name}; choose one with --account",
            sites
                .iter()
                .map(|s| s.account_id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Draws a spinner with the running counts while windows commit.
struct Progress(ProgressBar);

impl PullObserver for Progress {
    fn window_committed(&self, stream: &str, counts: &RunCounts) {
        self.0.set_message(format!(
            "{stream}: {} read ({} new, {} changed)",
            counts.fetched, counts.created, counts.updated
        ));
        self.0.tick();
    }
}

async fn sync(
    settings: Settings,
    site: Option<SiteName>,
    account: Option<AccountId>,
    full: bool,
) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let services = sync_services(&settings, &store).await?;
    let mut failed = 0;
    for site in chosen_sites(&store, site.as_ref(), account).await? {
        let (connector, site_settings) =
            wordpress(&site, services.http.clone(), &services.secrets())?;
        let bar = ProgressBar::new_spinner().with_prefix(site.name.to_string());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                .expect("a valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let kind = if full {
            RunKind::Full
        } else {
            RunKind::Incremental
        };
        let report = pull(
            &store,
            &connector,
            &site,
            kind,
            Trigger::Manual,
            site_settings.lookback(),
            &Progress(bar.clone()),
        )
        .await;
        bar.finish_and_clear();
        let report = report.with_context(|| format!("site {}: the pull failed", site.name))?;
        let c = &report.counts;
        println!(
            "{}: run {} read {} items: {} new, {} changed, {} unchanged, {} deleted",
            site.name, report.run, c.fetched, c.created, c.updated, c.unchanged, c.deleted
        );
        if let Some(error) = &report.error {
            eprintln!("{}: the run failed: {error}", site.name);
            failed += 1;
        }
        if full {
            let swept = reconcile_run(&store, &connector, &site, Trigger::Manual)
                .await
                .with_context(|| format!("site {}: the sweep failed", site.name))?;
            println!(
                "{}: sweep run {} confirmed every item: {} fetched again, {} deleted in the CMS",
                site.name, swept.run, swept.counts.fetched, swept.counts.deleted
            );
        }
    }
    anyhow::ensure!(failed == 0, "{failed} site(s) failed their run invariants");
    Ok(())
}

async fn push(
    settings: Settings,
    site: Option<SiteName>,
    account: Option<AccountId>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let services = sync_services(&settings, &store).await?;
    for site in chosen_sites(&store, site.as_ref(), account).await? {
        let (connector, _) = wordpress(&site, services.http.clone(), &services.secrets())?;
        if dry_run {
            let previews = preview(&store, &connector, &site)
                .await
                .with_context(|| format!("site {}: the preview failed", site.name))?;
            println!("{}: {} change(s) queued", site.name, previews.len());
            for item in previews {
                if item.conflict {
                    println!(
                        "# {} {}: changed in the CMS since; pushing would be a conflict",
                        item.external_type, item.external_id
                    );
                }
                print!("{}", item.diff);
            }
        } else {
            let summary = push_site(&store, &connector, &site)
                .await
                .with_context(|| format!("site {}: the push failed", site.name))?;
            println!(
                "{}: {} pushed, {} conflict(s), {} failed",
                site.name, summary.done, summary.conflicts, summary.failed
            );
        }
    }
    Ok(())
}

async fn check_site(
    settings: Settings,
    name: SiteName,
    account: Option<AccountId>,
) -> anyhow::Result<()> {
    let store = admin_store(&settings).await?;
    let services = sync_services(&settings, &store).await?;
    let site = chosen_sites(&store, Some(&name), account).await?.remove(0);
    let diagnosis = site_connector::check_site(
        &site,
        services.http.clone(),
        &services.secrets(),
        &services.definitions,
    )
    .await;
    println!("{}: {} ({})", site.name, diagnosis.message, diagnosis.code);
    anyhow::ensure!(
        diagnosis.ok,
        "site {} cannot be synced as configured",
        site.name
    );
    Ok(())
}
