//! `peil backup DIR` and `peil restore BACKUP SITE_DIR`: a whole site (its store, taken
//! consistently while the site runs, and its files: configuration, stories, dashboards,
//! images, key files) in a new directory with a manifest of every file's size and SHA-256;
//! and back, into a new site directory, only when every file matches its manifest.

use crate::site::{CONFIG, STORE};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The manifest's file name inside a backup directory.
pub const MANIFEST: &str = "backup.json";

#[derive(Serialize, Deserialize)]
struct Manifest {
    /// The Peil version that wrote the backup.
    peil: String,
    created_at: String,
    site: String,
    /// The store's schema version and live generation at the moment of the copy.
    schema: i64,
    generation: Option<u64>,
    files: Vec<FileEntry>,
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    /// Relative to the site directory, with `/` between parts.
    path: String,
    bytes: u64,
    sha256: String,
}

/// Whether a file of the site directory is the store itself (written through SQLite's
/// backup API, never copied as bytes) or its journal.
fn is_store_file(rel: &str) -> bool {
    rel == STORE || rel.strip_prefix(STORE).is_some_and(|s| s.starts_with('-'))
}

fn sha256_of(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    let hex = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((n, hex))
}

/// Every regular file under `root` but the store, as relative paths with `/`. Symbolic links
/// are left out (named in `skipped`): a backup holds the site's own files only.
fn site_files(root: &Path, skipped: &mut Vec<String>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        let dir = root.join(&rel);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = rel.join(&name);
            let shown = r.to_string_lossy().replace('\\', "/");
            let t = e.file_type()?;
            if t.is_symlink() {
                skipped.push(shown);
            } else if t.is_dir() {
                // Snapshot files are derived from the store: a server writes them again.
                if rel.as_os_str().is_empty() && name == crate::site::SNAPSHOTS {
                    continue;
                }
                todo.push(r);
            } else if t.is_file() && !is_store_file(&shown) {
                out.push(shown);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn backup(site: &crate::site::Site, dest: &Path, json: bool) -> Result<u8> {
    let src = std::fs::canonicalize(&site.dir)?;
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        bail!(
            "{} exists and is not empty; a backup is written to a new directory",
            dest.display()
        );
    }
    std::fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    let dest_abs = std::fs::canonicalize(dest)?;
    if dest_abs.starts_with(&src) {
        let _ = std::fs::remove_dir(dest);
        bail!(
            "{} is inside the site directory; write the backup elsewhere",
            dest.display()
        );
    }
    // The store first: its copy is the moment the backup stands for. A SQLite store through
    // SQLite's online backup; a PostgreSQL store as a logical copy into the same SQLite file
    // (one read transaction, every table compared with its source before it is kept), so every
    // backup is one checked file that restores either way.
    let store = site.store()?;
    let copy = if store.is_postgres() {
        peil_store::copy_store(
            &store,
            &peil_store::Location::Sqlite(dest.join(STORE)),
            false,
        )
        .context("copying the store out of PostgreSQL")?;
        peil_store::check_file(&dest.join(STORE)).context("checking the copy")?
    } else {
        store
            .backup_to(&dest.join(STORE))
            .context("copying the store")?
    };
    drop(store);
    let mut skipped = Vec::new();
    let mut files = Vec::new();
    for rel in site_files(&src, &mut skipped)? {
        let to = dest.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(src.join(&rel), &to).with_context(|| format!("copying {rel}"))?;
        let (bytes, sha256) = sha256_of(&to)?;
        files.push(FileEntry {
            path: rel,
            bytes,
            sha256,
        });
    }
    let (bytes, sha256) = sha256_of(&dest.join(STORE))?;
    files.push(FileEntry {
        path: STORE.into(),
        bytes,
        sha256,
    });
    let manifest = Manifest {
        peil: env!("CARGO_PKG_VERSION").into(),
        created_at: peil_store::utc_now(),
        site: site.config.name.clone(),
        schema: copy.schema,
        generation: copy.generation,
        files,
    };
    std::fs::write(
        dest.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "backup": dest.display().to_string(),
                "site": manifest.site,
                "generation": manifest.generation,
                "schema": manifest.schema,
                "files": manifest.files.len(),
                "bytes": manifest.files.iter().map(|f| f.bytes).sum::<u64>(),
                "skipped": skipped,
            })
        );
    } else {
        println!(
            "backup of site '{}' in {}: the store ({} bytes, {}) and {} other file(s), checked",
            manifest.site,
            dest.display(),
            copy.bytes,
            match copy.generation {
                Some(g) => format!("publication {g}"),
                None => "nothing published".into(),
            },
            manifest.files.len() - 1
        );
        for s in &skipped {
            println!("  left out (a symbolic link): {s}");
        }
    }
    Ok(0)
}

/// Restores a backup into `dest`, a directory that does not exist yet (or is empty): every
/// file is checked against the manifest first, the site is assembled beside `dest` and moved
/// into place in one rename, and its store is opened (which brings an older schema up to
/// date) and checked. A running site is never overwritten.
pub fn restore(from: &Path, dest: &Path) -> Result<u8> {
    let text = std::fs::read_to_string(from.join(MANIFEST)).with_context(|| {
        format!(
            "{} is not a Peil backup (no {MANIFEST})",
            from.join(MANIFEST).display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a backup manifest", from.join(MANIFEST).display()))?;
    if !manifest.files.iter().any(|f| f.path == STORE) {
        bail!("{}: the manifest lists no store ({STORE})", from.display());
    }
    if !manifest.files.iter().any(|f| f.path == CONFIG) {
        bail!("{}: the manifest lists no {CONFIG}", from.display());
    }
    for f in &manifest.files {
        let bad = f.path.is_empty()
            || f.path.starts_with('/')
            || f.path.contains('\\')
            || f.path
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..");
        if bad {
            bail!(
                "{}: the manifest names a file outside the site: {}",
                from.display(),
                f.path
            );
        }
        let (bytes, sha256) = sha256_of(&from.join(&f.path))
            .with_context(|| format!("{}: {} is missing", from.display(), f.path))?;
        if bytes != f.bytes || sha256 != f.sha256 {
            bail!(
                "{}: {} does not match the manifest ({} bytes, expected {}; the content differs): the backup is damaged, nothing was restored",
                from.display(),
                f.path,
                bytes,
                f.bytes
            );
        }
    }
    peil_store::check_file(&from.join(STORE)).context("checking the backup's store")?;
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        bail!(
            "{} exists and is not empty; restore into a new directory (stop the site, move it aside, then restore)",
            dest.display()
        );
    }
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = dest
        .file_name()
        .context("the site directory needs a name")?
        .to_string_lossy();
    let work = parent.join(format!(".{name}.restoring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let assembled = (|| -> Result<peil_store::StoreCopy> {
        for f in &manifest.files {
            let to = work.join(&f.path);
            if let Some(p) = to.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::copy(from.join(&f.path), &to)
                .with_context(|| format!("copying {}", f.path))?;
        }
        // Open as the site will be opened: an older schema is brought up to date here.
        let store = peil_store::Store::open(&work.join(STORE))?;
        drop(store);
        let checked = peil_store::check_file(&work.join(STORE))?;
        // A site whose peil.toml names a PostgreSQL store gets the copy there, in one
        // transaction, compared table by table before it commits; a schema that holds a site
        // already is left alone.
        let site = crate::site::Site::open(&work)?;
        let at = site.store_location()?;
        if at.is_postgres() {
            let copy = peil_store::Store::open(&work.join(STORE))?;
            peil_store::copy_store(&copy, &at, false).with_context(|| {
                format!(
                    "restoring the store into {at} (the backup's {STORE} is a complete copy \
                     of it: `peil migrate-store` moves it anywhere)"
                )
            })?;
            drop(copy);
            std::fs::remove_file(work.join(STORE))?;
        }
        if dest.exists() {
            std::fs::remove_dir(dest)?;
        }
        std::fs::rename(&work, dest)
            .with_context(|| format!("moving the restored site to {}", dest.display()))?;
        Ok(checked)
    })();
    let now = match assembled {
        Ok(now) => now,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work);
            return Err(e);
        }
    };
    println!(
        "restored site '{}' (backup of {}, {}) into {}{}",
        manifest.site,
        manifest.created_at,
        match manifest.generation {
            Some(g) => format!("publication {g}"),
            None => "nothing published".into(),
        },
        dest.display(),
        if now.schema != manifest.schema {
            format!(
                "; store schema {} brought up to {}",
                manifest.schema, now.schema
            )
        } else {
            String::new()
        }
    );
    println!("next: peil --site {} serve", dest.display());
    Ok(0)
}
