//! The site's configuration as the server uses it: name, languages, logo, colours, home-page
//! highlights and introduction, stories and dashboards, the public address and what the
//! catalogue says. The CLI builds it from `peil.toml` (checked there) and hands it to the
//! server, which swaps it whole when the file changes; the website, the catalogue and the
//! PDFs read it from here.

use std::collections::BTreeMap;
use std::sync::Arc;

/// What a city sets in its site configuration for the website (no rebuild needed).
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub name: String,
    /// UI languages, the default first (of `nl`, `en`, `fr`).
    pub languages: Vec<String>,
    /// The logo: media type and bytes (read from the site directory at start).
    pub logo: Option<(String, Vec<u8>)>,
    /// Brand colour (header, links) and accent, as `#rrggbb`.
    pub primary: String,
    pub accent: String,
    /// Indicator codes shown as key figures on the home page.
    pub highlights: Vec<String>,
    /// A short introduction on the home page, per language.
    pub intro: BTreeMap<String, String>,
    /// Stories, reports and dashboards (the site's files and the built-in pack).
    pub content: Arc<peil_story::Content>,
    /// The site directory (image tiles are served from its `content/` folder).
    pub dir: Option<std::path::PathBuf>,
    /// The address readers use (`https://gent.incijfers.be`), for absolute links.
    pub base_url: Option<String>,
    /// What the DCAT-AP catalogue says about the site's open data (`[catalog]` in peil.toml).
    pub catalog: crate::dcat::CatalogConfig,
    /// What the back office's data pages follow when they import and publish.
    pub data: DataRules,
    /// The sources and the scheduled publish (`[[sources]]`, `[schedule]`), checked; shown
    /// by the back office's sources page (the scheduler itself is `peil serve`'s).
    pub schedule: Option<Arc<peil_connect::scheduler::Plan>>,
    /// The digest of the site's files ([`files_digest`]) taken before they were read to make
    /// this configuration, when its maker took one. `AppState::set_site` takes it out, so
    /// a file edited while the configuration was being read makes the next reload's ETags
    /// new; a configuration without one (the one served, copied) is digested when set.
    pub files_digest: Option<u64>,
}

/// The rules of peil.toml the back office imports and publishes by, as `peil import` and
/// `peil publish` do.
#[derive(Debug, Clone, Default)]
pub struct DataRules {
    /// The privacy decisions (`[privacy]`).
    pub allow: peil_compute::review::Allow,
    /// Publications kept for rollback (`keep_publications`, at least 1).
    pub keep: usize,
    /// The plausibility thresholds of data imports (`[plausibility]`).
    pub plausibility: peil_import::plausibility::Thresholds,
}

impl SiteConfig {
    pub fn named(name: &str) -> SiteConfig {
        SiteConfig {
            name: name.to_string(),
            languages: vec!["nl".into(), "en".into(), "fr".into()],
            logo: None,
            primary: "#00536f".into(),
            accent: "#b34400".into(),
            highlights: Vec::new(),
            intro: BTreeMap::new(),
            content: Arc::new(peil_story::Content::builtin()),
            dir: None,
            base_url: None,
            catalog: Default::default(),
            data: DataRules {
                keep: 5,
                ..Default::default()
            },
            schedule: None,
            files_digest: None,
        }
    }

    pub(crate) fn default_lang(&self) -> &str {
        self.languages.first().map(String::as_str).unwrap_or("nl")
    }

    /// How this site's PDFs are made in `lang`, dated today: its name as publisher, its
    /// brand colour (used by the website's PDFs and `peil report` alike).
    pub fn pdf_options<'a>(&'a self, lang: &'a str) -> peil_story::pdf::PdfOptions<'a> {
        peil_story::pdf::PdfOptions {
            publisher: &self.name,
            accent: &self.primary,
            lang,
            date: peil_story::pdf::today(),
            site_dir: self.dir.as_deref(),
        }
    }
}

impl SiteConfig {
    /// A digest of what this configuration was made from, for the ETag (issue 16: ETags agree
    /// across replicas): the server's version and the site's files ([`files_digest`], taken
    /// now unless given), and the logo. Replicas with the same files give the same digest
    /// whatever their directories are called and however often they read them again. `None`
    /// for a configuration of no site directory (then the process's count of changes stands
    /// in). Reads files: call it off the async executor.
    pub fn digest(&self, files: Option<u64>) -> Option<u64> {
        use sha2::Digest;
        let files = match files {
            Some(f) => f,
            None => files_digest(self.dir.as_deref()?),
        };
        let mut h = sha2::Sha256::new();
        h.update(files.to_le_bytes());
        if let Some((media, bytes)) = &self.logo {
            h.update((media.len() as u64).to_le_bytes());
            h.update(media.as_bytes());
            h.update(bytes);
        }
        let d = h.finalize();
        Some(u64::from_be_bytes(d[..8].try_into().expect("8 bytes")))
    }
}

/// A digest of a site directory's files that make its configuration: this server's version,
/// `peil.toml`, `stories/` and `dashboards/` by their bytes, the image library `content/` by
/// names and sizes (an uploaded image always gets a new name).
pub fn files_digest(dir: &std::path::Path) -> u64 {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut part = |name: &str, bytes: &[u8]| {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part("version", env!("CARGO_PKG_VERSION").as_bytes());
    part(
        "peil.toml",
        &std::fs::read(dir.join("peil.toml")).unwrap_or_default(),
    );
    for (sub, whole) in [("stories", true), ("dashboards", true), ("content", false)] {
        let mut files: Vec<(String, std::path::PathBuf, u64)> = walk(&dir.join(sub))
            .into_iter()
            .filter_map(|p| {
                let rel = p
                    .strip_prefix(dir)
                    .ok()?
                    .to_string_lossy()
                    .replace('\\', "/");
                let len = std::fs::metadata(&p).ok()?.len();
                Some((rel, p, len))
            })
            .collect();
        files.sort();
        for (rel, path, len) in files {
            if whole {
                part(&rel, &std::fs::read(&path).unwrap_or_default());
            } else {
                part(&rel, &len.to_le_bytes());
            }
        }
    }
    let d = h.finalize();
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// Every file under `dir` (none when it is missing), at most 8 levels deep.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn go(dir: &std::path::Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() && depth < 8 => go(&e.path(), depth + 1, out),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    go(dir, 0, &mut out);
    out
}
