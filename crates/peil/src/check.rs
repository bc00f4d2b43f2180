//! `peil check`: the store's integrity, values that reach no parent, stories and dashboards
//! (syntax and a trial render), the catalogue's settings, and the privacy review of what
//! `peil publish` would publish.

use crate::publish;
use crate::site::Site;
use anyhow::Result;

pub fn run(site: &Site) -> Result<u8> {
    let store = site.store()?;
    let mut report = store.check()?;
    let warehouse = store.warehouse()?;
    // Loaded values that reach no parent would be missing from every total above them.
    match peil_compute::compute(&warehouse) {
        Ok(c) => {
            for l in peil_compute::lost_values(&c) {
                report.errors.push(format!("lost values: {l}"));
            }
            report.warnings.extend(publish::periods_not_aggregated(&c));
            report
                .warnings
                .extend(c.linked().notes.iter().map(|n| format!("linked: {n}")));
            report.warnings.extend(
                peil_compute::marginal_mismatches(&c)
                    .iter()
                    .map(|m| m.to_string()),
            );
        }
        Err(e) => report.errors.push(format!("cannot compute: {e}")),
    }
    // Stories and dashboards: syntax, then a trial render on the live copy, so a
    // broken template fails here and not in front of a reader.
    report.errors.extend(check_content(site, &store)?);
    // What open-data portals need from the catalogue (licence, contact, publisher).
    match site.catalog_config() {
        Ok(c) => report.warnings.extend(c.missing()),
        Err(e) => report.errors.push(e.to_string()),
    }
    // Privacy: what `peil publish` would make of the test copy, reviewed.
    match peil_compute::publish(&warehouse, 0, &Default::default()) {
        Ok(snapshot) => {
            let r = peil_compute::review::review(&snapshot, &site.config.privacy.allow());
            let (errors, warnings) = publish::review_lines(&r);
            report.errors.extend(errors);
            report.warnings.extend(warnings);
        }
        Err(e) => report
            .errors
            .push(format!("the test copy cannot be computed: {e}")),
    }
    for e in &report.errors {
        println!("error: {e}");
    }
    for w in &report.warnings {
        println!("warning: {w}");
    }
    if report.errors.is_empty() {
        println!("ok: {} warnings", report.warnings.len());
        Ok(0)
    } else {
        Ok(crate::EXIT_CHECK)
    }
}

/// Problems of the site's stories and dashboards, as messages (file, line, reason).
fn check_content(site: &Site, store: &peil_store::Store) -> Result<Vec<String>> {
    let (content, problems) = site.content();
    let mut out: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let published = store.live_generation()?.is_some();
    if published {
        let data = crate::report::story_data(store)?;
        for s in &content.stories {
            if let Err(e) = peil_story::check(&data, s) {
                out.push(e.to_string());
            }
        }
        for d in &content.dashboards {
            match d.story() {
                Ok(s) => {
                    if let Err(e) = peil_story::check(&data, &s) {
                        out.push(e.to_string());
                    }
                }
                Err(e) => out.push(e.to_string()),
            }
        }
    }
    Ok(out)
}
