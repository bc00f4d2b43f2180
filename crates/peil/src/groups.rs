//! `peil groups`: access groups — what each group may see of restricted indicators (by code,
//! theme subtree or source), on which geo levels, dimension levels and periods. Stored in the
//! site's store; a running server compiles them again within one poll (no publish needed).

use crate::args::{GroupAddArgs, GroupsCommand};
use crate::site::Site;
use anyhow::{Result, anyhow, bail};
use peil_core::AccessGroup;
use peil_core::access::{check_group_name, parse_period_range};

pub fn run(site: &Site, g: GroupsCommand) -> Result<u8> {
    let store = site.store()?;
    match g {
        GroupsCommand::Add(a) => {
            let group = group_of(a)?;
            check_codes(&store, &group)?;
            let new = store.put_access_group(&group)?;
            println!(
                "group '{}' {}",
                group.name,
                if new { "added" } else { "replaced" }
            );
        }
        GroupsCommand::List => {
            for g in store.access_groups()? {
                println!("{:<24} {}", g.name, g.description);
            }
        }
        GroupsCommand::Show { name } => {
            let g = store
                .access_group(&name)?
                .ok_or_else(|| anyhow!("no group '{name}' (see `peil groups list`)"))?;
            print!("{}", describe(&g));
        }
        GroupsCommand::Remove { name } => {
            let keys: Vec<String> = store
                .api_keys()?
                .into_iter()
                .filter(|k| k.revoked.is_none() && k.groups.contains(&name))
                .map(|k| format!("#{} {}", k.id, k.name))
                .collect();
            if !keys.is_empty() {
                bail!(
                    "group '{name}' is still used by API key(s) {}: revoke them first (`peil keys revoke ID`)",
                    keys.join(", ")
                );
            }
            let users: Vec<String> = store
                .users()?
                .into_iter()
                .filter(|u| !u.disabled && u.groups.contains(&name))
                .map(|u| u.login)
                .collect();
            if !users.is_empty() {
                bail!(
                    "group '{name}' is still used by user(s) {}: take it from them first (in /admin/users) or disable them (`peil users disable NAME`)",
                    users.join(", ")
                );
            }
            if !store.remove_access_group(&name)? {
                bail!("no group '{name}' (see `peil groups list`)");
            }
            println!("group '{name}' removed");
        }
    }
    Ok(0)
}

fn group_of(a: GroupAddArgs) -> Result<AccessGroup> {
    check_group_name(&a.name).map_err(|e| anyhow!(e))?;
    let periods = a
        .periods
        .as_deref()
        .map(|p| parse_period_range(p).map_err(|e| anyhow!("--periods: {e}")))
        .transpose()?;
    let clean = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    Ok(AccessGroup {
        name: a.name,
        description: a.description,
        indicators: clean(a.indicators),
        themes: clean(a.themes),
        sources: clean(a.sources),
        levels: clean(a.levels),
        dim_levels: clean(a.dim_levels),
        periods,
    })
}

/// Refuses geo levels, dimension levels, themes and indicators the store does not know: a
/// misspelt level would otherwise grant nothing, silently.
fn check_codes(store: &peil_store::Store, g: &AccessGroup) -> Result<()> {
    let catalog = store.catalog()?;
    let themes: Vec<String> = store.themes()?.into_iter().map(|t| t.code).collect();
    let unknown = |what: &str, asked: &[String], known: Vec<&String>| -> Result<()> {
        if let Some(bad) = asked.iter().find(|c| !known.contains(c)) {
            let mut known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
            known.sort_unstable();
            let shown: Vec<&str> = known.iter().take(20).copied().collect();
            bail!(
                "unknown {what} '{}': expected one of {}{}",
                peil_core::shown(bad),
                shown.join(", "),
                if known.len() > 20 { ", …" } else { "" }
            );
        }
        Ok(())
    };
    unknown("geo level", &g.levels, catalog.levels.keys().collect())?;
    unknown(
        "dimension level",
        &g.dim_levels,
        catalog.dim_members.keys().collect(),
    )?;
    unknown("theme", &g.themes, themes.iter().collect())?;
    unknown(
        "indicator",
        &g.indicators,
        catalog.indicators.keys().collect(),
    )
}

/// A group's definition as `peil groups show` prints it.
fn describe(g: &AccessGroup) -> String {
    let list = |v: &[String], none: &str| {
        if v.is_empty() {
            none.to_string()
        } else {
            v.join(", ")
        }
    };
    let periods = g
        .periods
        .map(|(a, b)| format!("{a}:{b}"))
        .unwrap_or_else(|| "all".into());
    format!(
        "name:        {}\ndescription: {}\nindicators:  {}\nthemes:      {}\nsources:     {}\nlevels:      {}\ndim levels:  {}\nperiods:     {}\n",
        g.name,
        g.description,
        list(&g.indicators, "-"),
        list(&g.themes, "-"),
        list(&g.sources, "-"),
        list(&g.levels, "all"),
        list(&g.dim_levels, "all"),
        periods
    )
}
