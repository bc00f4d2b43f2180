//! A site directory: `peil.toml` (configuration) and its store — `peil.sqlite` beside it, or a
//! schema of a PostgreSQL database named by `store = "postgres://…"`.

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
    /// Where the site's data is kept. Absent: the SQLite file `peil.sqlite` in the site
    /// directory. `"postgres://user@host:port/database"`: a schema of that PostgreSQL database
    /// (see `store_schema`); the URL holds no password (`PEIL_STORE_PASSWORD` or
    /// `store_password_file` gives it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The PostgreSQL schema that holds this site (default `peil`): sites sharing a database
    /// each have their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_schema: Option<String>,
    /// A file (relative to the site directory) whose first line is the PostgreSQL password;
    /// absent: the environment variable `PEIL_STORE_PASSWORD`, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_password_file: Option<String>,
    /// Whether anonymous readers may use the site; `false` answers 401 without a valid
    /// `apikey` (create keys with `peil keys create`).
    #[serde(default = "yes")]
    pub public: bool,
    /// Requests per second per client address that `peil serve` allows (bursts of twice
    /// that); absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// Reverse proxies in front of `peil serve` (addresses or networks, e.g. `["127.0.0.1",
    /// "10.0.0.0/8"]`): only from them is `X-Forwarded-For` believed, for the rate limit, the
    /// login limit per address and the audit log. Absent: the connection's address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxies: Vec<String>,
    /// The address readers use, e.g. "https://gent.incijfers.be": every absolute link
    /// (share links, OData context and paging links, the catalogue) starts with it. Absent:
    /// the address `peil serve` listens on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Megabytes of rendered answers `peil serve` keeps in memory (default 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_mb: Option<u64>,
    /// The website's logo: an SVG, PNG, JPEG, WebP or GIF file, relative to the site directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Brand colour of the website (header, links), `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    /// Accent colour (buttons, focus, markers), `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
    /// Indicator codes shown as key figures on the home page (default: the first ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<String>,
    /// A short introduction on the home page, per language: `[intro] nl = "…"`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub intro: std::collections::BTreeMap<String, String>,
    /// What the DCAT-AP catalogue (`/api/v1/catalog.ttl`) tells open-data portals:
    /// `[catalog]` with publisher, licence, contact, area and `[catalog.themes]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogToml>,
    /// Privacy decisions `peil check` and `peil publish` accept: `[privacy]`.
    #[serde(default, skip_serializing_if = "Privacy::is_empty")]
    pub privacy: Privacy,
    /// The back office's sessions and logins: `[admin]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminToml>,
    /// Thresholds of the plausibility checks of data imports: `[plausibility]` with
    /// `jump_factor` (2), `jump_min` (20), `total_tolerance` (0.005), `max_warnings` (200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plausibility: Option<peil_import::plausibility::Thresholds>,
    /// How many publications `peil publish` keeps for `peil rollback` (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_publications: Option<usize>,
    /// Other Peil sites this site pulls indicators from (`peil pull`): `[[sources]]` with
    /// `name`, `url`, `key_env` or `key_file`, `indicators`, `themes`, `source_names`,
    /// `levels`, `periods_from`, `prefix`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<peil_connect::Source>,
    /// What `peil serve` runs on a schedule: `[schedule]` with `time_zone` (default
    /// Europe/Brussels) and `publish` (a cron expression); sources have their own `schedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<peil_connect::scheduler::ScheduleToml>,
}

impl Config {
    /// Publications kept for rollback (`keep_publications`, default 5, at least 1).
    pub fn keep_publications(&self) -> usize {
        self.keep_publications.unwrap_or(5).max(1)
    }
}

/// `[admin]` in peil.toml: how long back-office sessions last and how logins are bounded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminToml {
    /// Minutes without a request after which a session ends (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_idle_minutes: Option<f64>,
    /// Hours after login after which a session ends, used or not (default 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_max_hours: Option<f64>,
    /// Seconds of the first lock after 5 failed logins in a row; each further failure
    /// doubles it, up to an hour (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout_seconds: Option<f64>,
    /// Failed logins per client address per quarter hour before its logins are refused
    /// (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures_per_address: Option<u32>,
    /// Leave `Secure` off the session cookie: only for a site served over plain http on
    /// another host than localhost (default false).
    #[serde(default)]
    pub insecure_cookie: bool,
    /// Single sign-on through the city's own identity provider: `[admin.oidc]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcToml>,
}

/// `[admin.oidc]`: log in to the back office through an OpenID Connect provider (Microsoft
/// Entra ID, Keycloak, ACM/IDM). Register `<base_url>/admin/oidc/callback` as its redirect
/// URI and `<base_url>/` as its post-logout redirect URI.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcToml {
    /// What the login page's button says: "Log in with <name>" (default "OpenID Connect").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The provider's issuer URL; its `/.well-known/openid-configuration` is read at the first
    /// login (and again every hour).
    pub issuer: String,
    pub client_id: String,
    /// The client secret; better kept out of peil.toml with `client_secret_file` (a file
    /// relative to the site directory) or the `PEIL_OIDC_CLIENT_SECRET` environment variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_file: Option<String>,
    /// Scopes asked for besides `openid` (default: profile, email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The claim that becomes the login name (default `preferred_username`, then `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_claim: Option<String>,
    /// The claim with the user's groups (e.g. `groups`) and the one with their roles (e.g.
    /// `roles`): their values are looked up in `map`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_claim: Option<String>,
    /// The role of a user whose claims match no `map` entry; absent: such a user is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    /// `[[admin.oidc.map]] claim_value = "...", role = "expert", groups = ["..."]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub map: Vec<OidcMapToml>,
}

/// One claim value of the provider and what it gives a Peil user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcMapToml {
    pub claim_value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

impl OidcToml {
    /// The server's options; `site` is the site directory (for `client_secret_file`).
    fn options(&self, site: &Path) -> Result<peil_serve::admin::OidcOptions> {
        use peil_serve::admin::{ClaimMap, OidcOptions};
        let role = |v: &str, what: &str| -> Result<peil_core::Role> {
            peil_core::Role::parse(v).map_err(|_| {
                anyhow::anyhow!("[admin.oidc] {what} = \"{v}\" in {CONFIG}: expected viewer, expert or beheerder")
            })
        };
        let client_secret = match (&self.client_secret, &self.client_secret_file) {
            (Some(_), Some(_)) => {
                bail!(
                    "[admin.oidc] in {CONFIG}: give client_secret or client_secret_file, not both"
                )
            }
            (Some(s), None) => Some(s.clone()),
            (None, Some(f)) => {
                let path = site.join(f);
                let s = std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "[admin.oidc] client_secret_file: cannot read {}",
                        path.display()
                    )
                })?;
                Some(s.trim().to_string())
            }
            (None, None) => std::env::var("PEIL_OIDC_CLIENT_SECRET").ok(),
        };
        let mut map = Vec::new();
        for m in &self.map {
            map.push(ClaimMap {
                claim_value: m.claim_value.clone(),
                role: m.role.as_deref().map(|r| role(r, "map.role")).transpose()?,
                groups: m.groups.clone(),
            });
        }
        OidcOptions::new(
            self.name.clone().unwrap_or_else(|| "OpenID Connect".into()),
            &self.issuer,
            &self.client_id,
            client_secret,
            self.scopes
                .clone()
                .unwrap_or_else(|| vec!["profile".into(), "email".into()]),
            self.login_claim.clone(),
            self.groups_claim.clone(),
            self.role_claim.clone(),
            self.default_role
                .as_deref()
                .map(|r| role(r, "default_role"))
                .transpose()?,
            map,
        )
        .map_err(|e| anyhow::anyhow!("[admin.oidc] in {CONFIG}: {e}"))
    }
}

impl AdminToml {
    /// The server's options from these settings; a duration that is not a positive number
    /// is refused with its name.
    pub fn options(&self, site: &Path) -> Result<peil_serve::admin::AdminOptions> {
        let mut o = peil_serve::admin::AdminOptions::default();
        let secs = |name: &str, v: Option<f64>, unit: f64| -> Result<Option<std::time::Duration>> {
            match v {
                None => Ok(None),
                Some(x) if x.is_finite() && x > 0.0 && x * unit < 1e9 => {
                    Ok(Some(std::time::Duration::from_secs_f64(x * unit)))
                }
                Some(x) => bail!("[admin] {name} = {x} in {CONFIG}: expected a positive number"),
            }
        };
        if let Some(d) = secs("session_idle_minutes", self.session_idle_minutes, 60.0)? {
            o.idle = d;
        }
        if let Some(d) = secs("session_max_hours", self.session_max_hours, 3600.0)? {
            o.absolute = d;
        }
        if let Some(d) = secs("lockout_seconds", self.lockout_seconds, 1.0)? {
            o.lockout = d;
        }
        if let Some(n) = self.failures_per_address {
            o.failures_per_address = n.max(1);
        }
        o.insecure_cookie = self.insecure_cookie;
        if let Some(oidc) = &self.oidc {
            o.oidc = Some(std::sync::Arc::new(oidc.options(site)?));
        }
        Ok(o)
    }
}

/// `[catalog]` in peil.toml: what open-data portals show with the site's datasets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogToml {
    /// The publishing organisation, e.g. "Stad Gent".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// A persistent IRI of the publisher (its OVO or KBO identifier), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_uri: Option<String>,
    /// `modellicentie-gratis-hergebruik`, `onvoorwaardelijk-hergebruik`, `cc-by-4.0`,
    /// `cc-by-sa-4.0`, `cc0`, or a licence's IRI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_url: Option<String>,
    /// The area the data is about, as an IRI (e.g. `https://data.vlaanderen.be/id/gemeente/44021`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spatial: Option<String>,
    /// Theme-tree folder code → EU data-theme code (`AGRI`, `ECON`, … `TRAN`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub themes: std::collections::BTreeMap<String, String>,
}

/// Indicators a statistician has reviewed and allowed to break a privacy rule of
/// `peil_compute::review`. Kept in `peil.toml` so that the decision persists, is versioned
/// with the site and can be reviewed; each entry silences that indicator and that rule only.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Indicators that may be visible to readers who may not see one of their inputs.
    #[serde(default)]
    pub allow_public_over_restricted: Vec<String>,
    /// Formula indicators whose hidden cells may be recomputable from published inputs.
    #[serde(default)]
    pub allow_recomputable_hidden: Vec<String>,
}

impl Privacy {
    fn is_empty(&self) -> bool {
        self.allow_public_over_restricted.is_empty() && self.allow_recomputable_hidden.is_empty()
    }

    pub fn allow(&self) -> peil_compute::review::Allow {
        peil_compute::review::Allow {
            over_restricted: self.allow_public_over_restricted.clone(),
            recomputable: self.allow_recomputable_hidden.clone(),
        }
    }
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

/// The environment variable that gives the PostgreSQL store's password (when peil.toml names
/// no `store_password_file`).
pub const PASSWORD_ENV: &str = "PEIL_STORE_PASSWORD";
/// The schema a PostgreSQL site is in when peil.toml names none.
pub const DEFAULT_SCHEMA: &str = "peil";

/// Where `peil init` puts a new site's store (all absent: the SQLite file).
#[derive(Debug, Clone, Default)]
pub struct StoreChoice {
    pub url: Option<String>,
    pub schema: Option<String>,
    pub password_file: Option<String>,
}

/// The folder of a site that holds its publications' snapshot files (`peil_compute::file`):
/// derived from the store, written by `peil publish` and `peil serve`, left out of backups.
pub const SNAPSHOTS: &str = ".snapshots";

impl Site {
    /// Where the site's servers keep and map its publications' snapshot files.
    pub fn snapshot_dir(&self) -> PathBuf {
        self.dir.join(SNAPSHOTS)
    }

    /// Where the site's store is: `store`, `store_schema` and the password of peil.toml and
    /// the environment, checked; the SQLite file `peil.sqlite` when `store` is absent.
    pub fn store_location(&self) -> Result<peil_store::Location> {
        let c = &self.config;
        let Some(url) = c.store.as_deref() else {
            if c.store_schema.is_some() || c.store_password_file.is_some() {
                bail!(
                    "{CONFIG}: store_schema and store_password_file apply to a PostgreSQL store \
                     (store = \"postgres://user@host/database\"); this site's store is {STORE}"
                );
            }
            return Ok(peil_store::Location::Sqlite(self.dir.join(STORE)));
        };
        if !peil_store::is_postgres_url(url) {
            bail!(
                "{CONFIG}: store = \"{}\" is not a PostgreSQL URL (postgres://user@host/database); \
                 leave store out for the SQLite file {STORE}",
                peil_core::shown(url)
            );
        }
        let password = match &c.store_password_file {
            Some(f) => {
                let path = self.dir.join(f);
                let text = std::fs::read(&path).with_context(|| {
                    format!(
                        "{CONFIG}: store_password_file {} cannot be read",
                        path.display()
                    )
                })?;
                let line = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    bail!(
                        "{CONFIG}: store_password_file {} holds no password",
                        path.display()
                    );
                }
                Some(line.to_vec())
            }
            None => std::env::var_os(PASSWORD_ENV).map(|v| v.into_encoded_bytes()),
        };
        let schema = c.store_schema.as_deref().unwrap_or(DEFAULT_SCHEMA);
        let pg = peil_store::PgLocation::new(url, schema, password.as_deref())
            .map_err(|e| anyhow::anyhow!("{CONFIG}: {e}"))?;
        Ok(peil_store::Location::Postgres(Box::new(pg)))
    }

    /// Creates a site directory with a config and an empty SQLite store.
    pub fn init(dir: &Path, name: &str, demo: bool) -> Result<Site> {
        Site::init_with(dir, name, demo, &StoreChoice::default())
    }

    /// Creates a site directory with a config and an empty store where `store` says; a
    /// PostgreSQL schema that already holds a site is refused (it is another site's).
    pub fn init_with(dir: &Path, name: &str, demo: bool, store: &StoreChoice) -> Result<Site> {
        let cfg_path = dir.join(CONFIG);
        if cfg_path.exists() {
            bail!("{} already holds a site ({} exists)", dir.display(), CONFIG);
        }
        let config = Config {
            name: name.to_string(),
            languages: default_languages(),
            demo,
            store: store.url.clone(),
            store_schema: store.schema.clone(),
            store_password_file: store.password_file.clone(),
            public: true,
            rate_limit: None,
            trusted_proxies: Vec::new(),
            base_url: None,
            cache_mb: None,
            logo: None,
            primary_color: None,
            accent_color: None,
            highlights: Vec::new(),
            intro: Default::default(),
            catalog: None,
            privacy: Privacy::default(),
            admin: None,
            plausibility: None,
            keep_publications: None,
            sources: Vec::new(),
            schedule: None,
        };
        let text = format!(
            "# Peil site configuration. Edit freely; no rebuild needed.\n{}",
            toml::to_string(&config).context("writing the configuration")?
        );
        let site = Site {
            dir: dir.to_path_buf(),
            config,
        };
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        // The store's location is checked (a password file is read from the new directory)
        // before anything is written.
        let at = site.store_location()?;
        if at.is_postgres() && peil_store::Store::open_at(&at).is_ok() {
            bail!("{at} already holds a Peil site; give this one its own schema (--store-schema)");
        }
        peil_store::Store::create_at(&at)?;
        std::fs::write(&cfg_path, text)
            .with_context(|| format!("cannot write {}", cfg_path.display()))?;
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

    /// What publishing follows: the privacy decisions (`[privacy]`) and the publications kept
    /// for rollback (`keep_publications`).
    pub fn publish_rules(&self) -> (peil_compute::review::Allow, usize) {
        (self.config.privacy.allow(), self.config.keep_publications())
    }

    /// What is scheduled (`[schedule]` and the sources' `schedule`), checked.
    pub fn plan(&self) -> Result<peil_connect::scheduler::Plan> {
        peil_connect::scheduler::Plan::new(
            &self.config.schedule.clone().unwrap_or_default(),
            &self.config.sources,
        )
        .map_err(|e| anyhow::anyhow!("{CONFIG}: {e}"))
    }

    /// What runs of sources and the scheduled publish need from the site.
    pub fn run_context(&self, limits: peil_connect::Limits) -> peil_connect::scheduler::Context {
        let (allow, keep) = self.publish_rules();
        peil_connect::scheduler::Context {
            site_dir: self.dir.clone(),
            limits,
            plausibility: self.config.plausibility.unwrap_or_default(),
            allow,
            keep,
        }
    }

    /// The website's configuration, checked: languages Peil speaks, colours as `#rrggbb`, a
    /// logo file that exists and is an image.
    pub fn web_config(&self) -> Result<peil_serve::site::SiteConfig> {
        let c = &self.config;
        let mut web = peil_serve::site::SiteConfig::named(&c.name);
        for l in &c.languages {
            if !["nl", "en", "fr"].contains(&l.as_str()) {
                bail!("{CONFIG}: language '{l}' is not one Peil's website speaks (nl, en, fr)");
            }
        }
        if c.languages.is_empty() {
            bail!("{CONFIG}: `languages` needs at least one of nl, en, fr");
        }
        web.languages = c.languages.clone();
        let (allow, keep) = self.publish_rules();
        web.data = peil_serve::site::DataRules {
            allow,
            keep,
            plausibility: c.plausibility.unwrap_or_default(),
        };
        if let Some(b) = &c.base_url {
            let ok = (b.starts_with("https://") || b.starts_with("http://"))
                && b.len() > "https://".len()
                && !b
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "?#\"<>`{}|\\^".contains(c));
            if !ok {
                bail!(
                    "{CONFIG}: base_url = '{b}' is not an address like \"https://gent.incijfers.be\""
                );
            }
            web.base_url = Some(b.trim_end_matches('/').to_string());
        }
        for (key, value, slot) in [
            ("primary_color", &c.primary_color, &mut web.primary),
            ("accent_color", &c.accent_color, &mut web.accent),
        ] {
            if let Some(v) = value {
                let ok = v.len() == 7
                    && v.starts_with('#')
                    && v[1..].chars().all(|ch| ch.is_ascii_hexdigit());
                if !ok {
                    bail!("{CONFIG}: {key} = '{v}' is not a colour like \"#00536f\"");
                }
                *slot = v.clone();
            }
        }
        if let Some(logo) = &c.logo {
            let path = self.dir.join(logo);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("{CONFIG}: logo {} cannot be read", path.display()))?;
            let mime = match path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase)
                .as_deref()
            {
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                Some("jpg" | "jpeg") => "image/jpeg",
                Some("webp") => "image/webp",
                Some("gif") => "image/gif",
                _ => bail!(
                    "{CONFIG}: logo {} is not an .svg, .png, .jpg, .webp or .gif file",
                    path.display()
                ),
            };
            web.logo = Some((mime.to_string(), bytes));
        }
        web.schedule = Some(std::sync::Arc::new(self.plan()?));
        web.highlights = c.highlights.clone();
        web.intro = c.intro.clone();
        web.catalog = self.catalog_config()?;
        let (content, problems) = self.content();
        for p in problems {
            eprintln!(
                "{{\"event\":\"content file skipped\",\"error\":{:?}}}",
                p.to_string()
            );
        }
        web.content = std::sync::Arc::new(content);
        web.dir = Some(self.dir.clone());
        Ok(web)
    }

    /// The `[catalog]` table, checked: a licence Peil knows or an IRI, IRIs that are IRIs, an
    /// e-mail address that looks like one, EU data-theme codes.
    pub fn catalog_config(&self) -> Result<peil_serve::dcat::CatalogConfig> {
        use peil_serve::dcat;
        let Some(c) = &self.config.catalog else {
            return Ok(dcat::CatalogConfig::default());
        };
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        let iri = |key: &str, v: &Option<String>| -> Result<Option<String>> {
            match text(v) {
                Some(v) if !dcat::is_http_iri(&v) => {
                    bail!("{CONFIG}: [catalog] {key} = '{v}' is not an http(s) address")
                }
                v => Ok(v),
            }
        };
        let licence = match text(&c.licence) {
            Some(l) => {
                Some(dcat::licence(&l).map_err(|e| anyhow::anyhow!("{CONFIG}: [catalog] {e}"))?)
            }
            None => None,
        };
        let contact_email = text(&c.contact_email);
        if let Some(e) = &contact_email {
            let ok = e.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty()
                    && host.contains('.')
                    && !host.starts_with('.')
                    && !host.ends_with('.')
            }) && !e
                .chars()
                .any(|ch| ch.is_whitespace() || "<>\"\\:/?#".contains(ch));
            if !ok {
                bail!("{CONFIG}: [catalog] contact_email = '{e}' is not an e-mail address");
            }
        }
        for (folder, theme) in &c.themes {
            if !dcat::is_data_theme(theme) {
                bail!(
                    "{CONFIG}: [catalog.themes] {folder} = '{theme}' is not an EU data theme ({})",
                    dcat::data_theme_codes().join(", ")
                );
            }
        }
        Ok(dcat::CatalogConfig {
            publisher: text(&c.publisher),
            publisher_uri: iri("publisher_uri", &c.publisher_uri)?,
            licence,
            contact_name: text(&c.contact_name),
            contact_email,
            contact_url: iri("contact_url", &c.contact_url)?,
            spatial: iri("spatial", &c.spatial)?,
            themes: c.themes.clone(),
        })
    }

    /// The site's stories and dashboards (with the built-in pack), and the problems of any
    /// file that could not be read.
    pub fn content(&self) -> (peil_story::Content, Vec<peil_story::StoryError>) {
        peil_story::Content::load(&self.dir)
    }

    /// When the configuration or any content file last changed (for reloading).
    pub fn changed_at(&self) -> Option<std::time::SystemTime> {
        changed_at(&self.dir)
    }

    pub fn store(&self) -> Result<peil_store::Store> {
        Ok(peil_store::Store::open_at(&self.store_location()?)?)
    }
}

/// When the configuration or any content file of the site directory `dir` last changed,
/// read without opening the site (`peil serve` asks every few seconds).
pub fn changed_at(dir: &Path) -> Option<std::time::SystemTime> {
    let mut t = std::fs::metadata(dir.join(CONFIG))
        .and_then(|m| m.modified())
        .ok();
    for sub in ["stories", "dashboards"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let m = e.metadata().and_then(|m| m.modified()).ok();
            t = t.max(m);
        }
        t = t.max(
            std::fs::metadata(dir.join(sub))
                .and_then(|m| m.modified())
                .ok(),
        );
    }
    t
}
