//! A site directory: `peil.toml` (configuration) and `peil.sqlite` (the store).

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const CONFIG: &str = "peil.toml";
pub const STORE: &str = "peil.sqlite";

/// The site configuration; everything a city changes without rebuilding Peil.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The site's name, e.g. "Gent in cijfers".
    pub name: String,
    /// UI languages; the first is the default.
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// Whether this site was built by `peil demo` (and may be rebuilt by it).
    #[serde(default)]
    pub demo: bool,
    /// Whether anonymous readers may use the site; `false` answers 401 without a valid
    /// `apikey` (create keys with `peil keys create`).
    #[serde(default = "yes")]
    pub public: bool,
    /// Requests per second per client address that `peil serve` allows (bursts of twice
    /// that); absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
}

fn yes() -> bool {
    true
}

fn default_languages() -> Vec<String> {
    vec!["nl".into(), "en".into(), "fr".into()]
}

pub struct Site {
    pub dir: PathBuf,
    pub config: Config,
}

impl Site {
    pub fn store_path(&self) -> PathBuf {
        self.dir.join(STORE)
    }

    /// Creates a site directory with a config and an empty store.
    pub fn init(dir: &Path, name: &str, demo: bool) -> Result<Site> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let cfg_path = dir.join(CONFIG);
        if cfg_path.exists() {
            bail!("{} already holds a site ({} exists)", dir.display(), CONFIG);
        }
        let config = Config {
            name: name.to_string(),
            languages: default_languages(),
            demo,
            public: true,
            rate_limit: None,
        };
        let text = format!(
            "# Peil site configuration. Edit freely; no rebuild needed.\n{}",
            toml::to_string(&config).context("writing the configuration")?
        );
        std::fs::write(&cfg_path, text)
            .with_context(|| format!("cannot write {}", cfg_path.display()))?;
        let site = Site {
            dir: dir.to_path_buf(),
            config,
        };
        peil_store::Store::create(&site.store_path())?;
        Ok(site)
    }

    /// Opens the site in `dir`.
    pub fn open(dir: &Path) -> Result<Site> {
        let cfg_path = dir.join(CONFIG);
        let text = std::fs::read_to_string(&cfg_path).with_context(|| {
            format!(
                "{} is not a Peil site (no {CONFIG}); create one with `peil init {}`",
                dir.display(),
                dir.display()
            )
        })?;
        let config: Config = toml::from_str(&text)
            .with_context(|| format!("{} is not a valid configuration", cfg_path.display()))?;
        Ok(Site {
            dir: dir.to_path_buf(),
            config,
        })
    }

    pub fn store(&self) -> Result<peil_store::Store> {
        Ok(peil_store::Store::open(&self.store_path())?)
    }
}
