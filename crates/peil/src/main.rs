//! `peil`: the command line of Peil — import → compute → publish for city statistics.
//!
//! `args.rs` holds every subcommand's arguments (clap); each subcommand has its own module
//! with a `run` that takes the opened site and its argument struct. `site.rs` is the site
//! directory, opened once per run here.

mod args;
mod backup;
mod check;
mod demo;
mod export;
mod groups;
mod help;
mod import;
mod imports;
mod init;
mod keys;
mod migrate;
mod migrate_store;
mod plans;
mod publications;
mod publish;
mod pull;
mod records;
mod report;
mod serve;
mod show;
mod site;
mod sources;
mod status;
mod users;

use anyhow::Result;
use args::{Cli, Command};
use clap::Parser;
use site::Site;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes: 0 success; 1 usage or environment error; 2 an import was refused because of
/// problems in its file (nothing was written); 3 the store failed a check, or `publish` was
/// refused by the privacy review (nothing was published).
const EXIT_REFUSED: u8 = 2;
const EXIT_CHECK: u8 = 3;
/// `publish` refused because loaded values would reach no parent (see `--allow-lost-values`).
const EXIT_LOST: u8 = 4;

/// Set when standard output was closed by its reader (`peil export | head`): the rest of the
/// output is unwanted, which is not an error worth a message.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Standard output that notes a closed pipe in [`STDOUT_CLOSED`].
struct Stdout<W>(W);

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).inspect_err(note_closed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().inspect_err(note_closed)
    }
}

fn note_closed(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(_) if STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    let dir = cli.site.clone().unwrap_or_else(|| PathBuf::from("."));
    // The demo's directory: the one given, else the --site directory, else ./peil-demo.
    let demo_dir = |given: Option<PathBuf>| {
        given
            .or(cli.site.clone())
            .unwrap_or_else(|| PathBuf::from("peil-demo"))
    };
    // Every command but `init` and `demo` works on an existing site, opened once here.
    let site = || Site::open(&dir);
    match cli.command {
        Command::Init(a) => init::run(&a.dir.clone().unwrap_or(dir.clone()), &a),
        Command::Demo(a) => {
            let dir = demo_dir(a.dir);
            let code = demo::run(&dir)?;
            if a.no_serve || code != 0 {
                return Ok(code);
            }
            serve::run(&Site::open(&dir)?, &a.bind, None)
        }
        Command::Serve(a) if a.demo => {
            let dir = demo_dir(None);
            demo::run(&dir)?;
            serve::run(&Site::open(&dir)?, &a.bind, a.rate_limit)
        }
        Command::Serve(a) if a.sites.is_some() => {
            serve::run_sites(a.sites.as_deref().unwrap_or(&dir), &a.bind, a.rate_limit)
        }
        Command::Serve(a) => serve::run(&site()?, &a.bind, a.rate_limit),
        Command::Import(a) => import::run(&site()?, &a),
        Command::Status { json } => status::run(&site()?, json),
        Command::Export(a) => export::run(&site()?, &a),
        Command::Check => check::run(&site()?),
        Command::Publish(a) => publish::run(&site()?, &a),
        Command::Show { indicator } => show::run(&site()?, &indicator),
        Command::Imports(a) => imports::run(&site()?, &a),
        Command::Pull(a) => pull::run(&site()?, &a),
        Command::Migrate(a) => migrate::run(&a),
        Command::MigrateStore(a) => migrate_store::run(&a),
        Command::Sources(a) => sources::run(&site()?, &a),
        Command::Publications { json } => publications::list(&site()?, json),
        Command::Rollback { generation } => publications::rollback(&site()?, generation),
        Command::Report(a) => report::run(&site()?, &a),
        Command::Keys(k) => keys::run(&site()?, k),
        Command::Users(u) => users::run(&site()?, u),
        Command::Groups(g) => groups::run(&site()?, g),
        Command::Backup { dir, json } => backup::backup(&site()?, &dir, json),
        Command::Restore { backup, site_dir } => backup::restore(&backup, &site_dir),
        Command::Records(r) => records::run(&site()?, r),
        Command::Plans(p) => plans::run(&site()?, p),
        Command::Help { topic } => help::run(topic.as_deref()),
    }
}
