//! `peil groups`: access groups — what each group may see of restricted indicators (by code,
//! theme subtree or source), on which geo levels, dimension levels and periods. Stored in the
//! site's store; a running server compiles them again within one poll (no publish needed).

use crate::args::{GroupAddArgs, GroupsCommand};
use crate::site::Site;
use anyhow::{Result, anyhow, bail};
use peil_core::AccessGroup;

pub fn run(site: &Site, g: GroupsCommand) -> Result<u8> {
    let store = site.store()?;
    match g {
        GroupsCommand::Add(a) => {
            let group = group_of(a)?;
            store.check_group_codes(&group)?;
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
            if !store.remove_unused_access_group(&name)? {
                bail!("no group '{name}' (see `peil groups list`)");
            }
            println!("group '{name}' removed");
        }
    }
    Ok(0)
}

fn group_of(a: GroupAddArgs) -> Result<AccessGroup> {
    AccessGroup::from_input(
        &a.name,
        &a.description,
        a.indicators,
        a.themes,
        a.sources,
        a.levels,
        a.dim_levels,
        a.periods.as_deref(),
    )
    .map_err(|e| anyhow!(e))
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
