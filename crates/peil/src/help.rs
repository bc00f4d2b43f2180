//! `peil help`: the handbook (`peil_serve::manual`, embedded; Dutch, English or French by the
//! topic's name) as plain text in the terminal,
//! and a command's own options for a command's name.

use anyhow::{Result, bail};
use clap::CommandFactory;
use peil_serve::manual::{self, CHAPTERS};

pub fn run(topic: Option<&str>) -> Result<u8> {
    let Some(topic) = topic else {
        println!(
            "Handleiding (peil help ONDERWERP) / Manual (peil help TOPIC) / Manuel (peil help SUJET):\n"
        );
        for c in CHAPTERS {
            for lang in ["nl", "en", "fr"] {
                println!("  {:<28}{}", c.slug(lang), c.title(lang));
            }
        }
        println!(
            "\nThe manual is also on every site: /handleiding (Dutch), /en/manual (English), /fr/manuel (French)."
        );
        println!("Commands: peil help COMMAND, e.g. peil help import.");
        return Ok(0);
    };
    if let Some(c) = manual::find(topic) {
        let lang = c.lang_of(topic).unwrap_or("nl");
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
