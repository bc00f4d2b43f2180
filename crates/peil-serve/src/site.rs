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
