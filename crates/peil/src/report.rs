//! `peil report`: a story or dashboard as PDF for one area, or for every area of a level as a
//! ZIP of PDFs, through the same `peil_story::pdf` the website uses.

use crate::args::ReportArgs;
use crate::site::Site;
use anyhow::{Context, Result, bail};

pub fn run(site: &Site, a: &ReportArgs) -> Result<u8> {
    let ReportArgs {
        name,
        level,
        area,
        all,
        compare,
        lang,
        dashboard,
        out,
    } = a;
    let (name, lang, dashboard, all) = (name.as_str(), lang.as_str(), *dashboard, *all);
    let web = site.web_config()?;
    let (content, problems) = site.content();
    let story = if dashboard {
        let d = content.dashboard(name).with_context(|| {
            format!("no dashboard '{name}' (dashboards/{name}.toml in the site directory)")
        })?;
        d.story().map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        match content.story(name) {
            Some(s) => s.clone(),
            None => {
                for p in problems {
                    eprintln!("error: {p}");
                }
                bail!(
                    "no story '{name}' (stories/{name}.md in the site directory, or the built-in omgevingsanalyse)"
                );
            }
        }
    };
    let data = story_data(&site.store()?)?;
    let pdf_options = web.pdf_options(lang);
    let level = level
        .clone()
        .or_else(|| story.meta.level.clone())
        .context("say which level the areas are on: --level")?;
    if data.level_index(&level).is_none() {
        bail!("no level '{level}' in the published data");
    }
    let compare = compare
        .as_ref()
        .map(|c| {
            peil_story::Area::parse(c).with_context(|| format!("--compare {c}: write level:code"))
        })
        .transpose()?;
    if all {
        let areas = data.areas(&level);
        let file = std::fs::File::create(out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let bar = indicatif::ProgressBar::new(areas.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} reports, {elapsed} (ETA {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let started = std::time::Instant::now();
        let result = peil_story::pdf::bulk_zip(
            std::io::BufWriter::new(file),
            &data,
            &story,
            &areas,
            &pdf_options,
            &|done, _| bar.set_position(done as u64),
            &std::sync::atomic::AtomicBool::new(false),
        );
        bar.finish_and_clear();
        match result {
            Ok(mut w) => {
                use std::io::Write as _;
                w.flush()?;
                println!(
                    "{} reports in {} ({:.1} s)",
                    areas.len(),
                    out.display(),
                    started.elapsed().as_secs_f64()
                );
                Ok(0)
            }
            Err(e) => {
                let _ = std::fs::remove_file(out);
                bail!("{e}")
            }
        }
    } else {
        let code = area
            .clone()
            .context("say which area: --area CODE, or --all for every area")?;
        let geo = peil_story::Area::new(&level, &code);
        if !data.exists(&geo) {
            bail!("no area '{code}' on level {level}");
        }
        let r = peil_story::render(&data, &story, &geo, compare.as_ref(), lang, None)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if out.extension().and_then(|e| e.to_str()) == Some("md") {
            return write_markdown(&r, out);
        }
        let pdf = peil_story::pdf::to_pdf(&r, &pdf_options, story.meta.landscape || dashboard)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(out, &pdf).with_context(|| format!("cannot write {}", out.display()))?;
        println!("{} ({} bytes)", out.display(), pdf.len());
        Ok(0)
    }
}

/// A rendered story as Markdown (what the website's `.md` address serves), its figures written
/// beside it as SVG files named after it (`wijk.md` → `wijk-fig-1.svg`), the references
/// following them.
fn write_markdown(r: &peil_story::Rendered, out: &std::path::Path) -> Result<u8> {
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .context("--out: name the Markdown file")?;
    let dir = out.parent().unwrap_or(std::path::Path::new(""));
    let mut md = r.markdown.clone();
    for (name, svg) in &r.figures {
        let file = format!("{stem}-{name}");
        md = md.replace(&format!("]({name})"), &format!("]({file})"));
        let path = dir.join(&file);
        std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    std::fs::write(out, &md).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "{} ({} bytes, {} figures)",
        out.display(),
        md.len(),
        r.figures.len()
    );
    Ok(0)
}

/// The published data as stories read it.
pub fn story_data(store: &peil_store::Store) -> Result<std::sync::Arc<peil_story::Data>> {
    let snap = peil_compute::Snapshot::load(store)?;
    let themes = store.themes()?;
    Ok(std::sync::Arc::new(peil_story::Data::new(
        std::sync::Arc::new(snap),
        themes,
    )))
}
