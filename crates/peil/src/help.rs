//! `peil help`: the handbook (`peil_serve::manual`, embedded) as plain text in the terminal,
//! and a command's own options for a command's name.

use anyhow::{Result, bail};
use clap::CommandFactory;
use peil_serve::manual::{self, CHAPTERS};

pub fn run(topic: Option<&str>) -> Result<u8> {
    let Some(topic) = topic else {
        println!("Handleiding (peil help ONDERWERP) / Manual (peil help TOPIC):\n");
        for c in CHAPTERS {
            println!("  {:<22}{}", c.nl, c.title("nl"));
            println!("  {:<22}{}", c.en, c.title("en"));
        }
        println!("\nThe manual is also on every site: /handleiding (Dutch), /en/manual (English).");
        println!("Commands: peil help COMMAND, e.g. peil help import.");
        return Ok(0);
    };
    if let Some(c) = manual::find(topic) {
        let lang = if c.nl == topic { "nl" } else { "en" };
        println!("{}", manual::to_text(c.text(lang)));
        return Ok(0);
    }
    let mut cli = crate::args::Cli::command();
    if let Some(sub) = cli.find_subcommand_mut(topic) {
        sub.print_long_help()?;
        return Ok(0);
    }
    bail!("no chapter or command named '{topic}': `peil help` lists them")
}
