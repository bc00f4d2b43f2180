//! `peil keys`: API keys scoped to access groups, stored hashed; creating and revoking one is
//! written to the audit log.

use crate::args::KeysCommand;
use crate::site::Site;
use anyhow::{Result, bail};

pub fn run(site: &Site, k: KeysCommand) -> Result<u8> {
    let store = site.store()?;
    let who = crate::users::cli_user();
    match k {
        KeysCommand::Create { name, group } => {
            let key = peil_store::new_key()?;
            let id = store.add_api_key(&name, &peil_store::hash_key(&key), &group)?;
            store.audit(
                &who,
                "cli",
                "key created",
                &serde_json::json!({"key": id, "name": name, "groups": group}),
            )?;
            println!("key #{id} for '{name}' (groups: {}):", group.join(", "));
            println!("{key}");
            eprintln!("store it now: Peil keeps only its hash and cannot show it again");
        }
        KeysCommand::List => {
            for peil_store::ApiKeyEntry {
                id,
                name,
                groups,
                created,
                revoked,
            } in store.api_keys()?
            {
                let state = revoked
                    .map(|r| format!("revoked {r}"))
                    .unwrap_or_else(|| "active".into());
                println!(
                    "#{id:<4} {name:<30} groups: {:<25} created {created}  {state}",
                    groups.join(",")
                );
            }
        }
        KeysCommand::Revoke { id } => {
            if !store.revoke_api_key(id)? {
                bail!("no active key #{id} (see `peil keys list`)");
            }
            store.audit(&who, "cli", "key revoked", &serde_json::json!({"key": id}))?;
            println!("key #{id} revoked");
        }
    }
    Ok(0)
}
