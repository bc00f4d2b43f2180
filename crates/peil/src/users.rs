//! `peil users`: back-office accounts from the command line (the first administrator,
//! scripts). Every change is written to the audit log as done by `$USER` from `cli`.

use crate::args::UsersCommand;
use crate::site::Site;
use anyhow::{Context, Result, bail};
use peil_core::Role;
use serde_json::json;
use std::io::{BufRead, Read};

/// Who the audit log names for a command-line change.
pub fn cli_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "cli".into())
}

pub fn run(site: &Site, u: UsersCommand) -> Result<u8> {
    let store = site.store()?;
    let who = cli_user();
    let audit = |action: &str, detail: serde_json::Value| store.audit(&who, "cli", action, &detail);
    match u {
        UsersCommand::Add {
            name,
            role,
            groups,
            display_name,
            password_stdin,
        } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let (password, shown) = password(password_stdin)?;
            let id = store.add_user(&peil_store::NewUser {
                login: &name,
                display_name: display_name.as_deref().unwrap_or(&name),
                role,
                groups: &groups,
                password_hash: Some(peil_store::hash_password(&password)?),
                source: "password",
            })?;
            audit(
                "user created",
                json!({"user": name, "role": role, "groups": groups}),
            )?;
            println!("user #{id} '{name}' ({role}, groups: {})", groups.join(","));
            show(shown);
        }
        UsersCommand::List => {
            for u in store.users()? {
                let state = if u.disabled { "disabled" } else { "active" };
                let locked = match &u.locked_until {
                    Some(t) if *t > peil_store::utc_now() => format!("  locked until {t}"),
                    _ => String::new(),
                };
                println!(
                    "{:<24} {:<10} groups: {:<25} {state}  created {}{locked}",
                    u.login,
                    u.role,
                    u.groups.join(","),
                    u.created
                );
            }
        }
        UsersCommand::Disable { name } => {
            found(store.set_user_disabled(&name, true)?, &name)?;
            audit("user disabled", json!({"user": name}))?;
            println!("'{name}' disabled; their sessions have ended");
        }
        UsersCommand::Enable { name } => {
            found(store.set_user_disabled(&name, false)?, &name)?;
            audit("user enabled", json!({"user": name}))?;
            println!("'{name}' enabled");
        }
        UsersCommand::Reset {
            name,
            password_stdin,
        } => {
            let (password, shown) = password(password_stdin)?;
            found(
                store.set_password(&name, &peil_store::hash_password(&password)?)?,
                &name,
            )?;
            store.end_sessions_of(&name)?;
            audit("password reset", json!({"user": name}))?;
            println!("new password for '{name}' (the account is unlocked, its sessions ended)");
            show(shown);
        }
    }
    Ok(0)
}

fn found(ok: bool, name: &str) -> Result<()> {
    if !ok {
        bail!("no user '{name}' (see `peil users list`)");
    }
    Ok(())
}

/// The password to set: the first line of standard input, or a generated one (to be shown).
fn password(from_stdin: bool) -> Result<(String, Option<String>)> {
    if !from_stdin {
        let p = peil_store::new_password();
        return Ok((p.clone(), Some(p)));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(peil_store::MAX_PASSWORD_LEN as u64 + 2)
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    peil_store::check_password(&p)?;
    Ok((p, None))
}

fn show(generated: Option<String>) {
    if let Some(p) = generated {
        println!("{p}");
        eprintln!("give it to the user now: Peil keeps only its hash and cannot show it again");
    }
}
