//! File sources (`kind = "file"`): a CSV, workbook or ZIP at an address, imported into the
//! test copy with the options of `peil import` (`[sources.import]`, read by
//! `peil_import::options`) through `peil_import::import`, the one import path.
//!
//! The file is fetched by the source's HTTP client (one host, no redirects, timeouts, retries
//! with back-off, bounded size) and hashed (SHA-256, as `peil import` hashes files). When the
//! hash equals the last successful run's, nothing happens. Otherwise it is one atomic import:
//! a file with problems is refused with every problem named (file, row, column) and the store
//! stays exactly as it was.

use crate::{PullError, PullOptions, Source, http};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Parts of a ZIP archive looked at, at most.
const MAX_MEMBERS: usize = 10_000;

/// What a file source's run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    pub source: String,
    pub url: String,
    pub dry_run: bool,
    /// `imported`, or `unchanged` (the same content as the last successful run).
    pub outcome: String,
    /// SHA-256 of the file as fetched (for a ZIP, of the archive).
    pub content_hash: String,
    pub fetched_at: String,
    pub bytes: u64,
    pub requests: u64,
    /// The ZIP member imported.
    pub member: Option<String>,
    /// The import's report (none when unchanged).
    pub import: Option<peil_import::Outcome>,
}

/// Fetches a file source and, unless its content hash is `last_hash`, imports it.
pub fn pull_file(
    store: &mut peil_store::Store,
    source: &Source,
    key: Option<String>,
    opts: &PullOptions,
    last_hash: Option<&str>,
) -> Result<FileReport, PullError> {
    source.check().map_err(PullError::Config)?;
    let options = source.import.clone().unwrap_or_default();
    let mut req = options
        .request(&opts.who)
        .map_err(|e| PullError::Config(format!("source {}: import: {e}", source.name)))?;
    req.plausibility = opts.plausibility;
    let client = http::Client::new(&source.url, key, opts.limits.clone()).accept("*/*");
    let fetched_at = peil_store::utc_now();
    let body = client.fetch("", true, |b| Ok(b.to_vec()))?;
    let content_hash = crate::sha2_hex(&body);
    let mut report = FileReport {
        source: source.name.clone(),
        url: source.url.clone(),
        dry_run: opts.dry_run,
        outcome: "unchanged".into(),
        content_hash: content_hash.clone(),
        fetched_at,
        bytes: client.bytes.get(),
        requests: client.requests.get(),
        member: None,
        import: None,
    };
    if last_hash == Some(content_hash.as_str()) {
        return Ok(report);
    }
    let url_name = url_file_name(&source.url);
    let is_zip = source.member.is_some() || url_name.to_ascii_lowercase().ends_with(".zip");
    let (name, bytes) = if is_zip {
        let (member, data) = unzip(
            &source.url,
            &body,
            source.member.as_deref(),
            opts.limits.max_data_bytes,
        )?;
        report.member = Some(member.clone());
        (member, data)
    } else {
        (url_name, body)
    };
    // Kept beside the store while it is read, under a name with the file's own extension
    // (which tells CSV from workbook), and removed after.
    let dir = store
        .path()
        .parent()
        .unwrap_or(Path::new("."))
        .join(".pulls")
        .join(peil_store::random_hex(16));
    let path = write_file(&dir, &name, &bytes)?;
    req.source_name = Some(match &report.member {
        Some(m) => format!("{} ({m})", source.url),
        None => source.url.clone(),
    });
    let result = if opts.dry_run {
        peil_import::dry_run(store, &path, &req)
    } else {
        peil_import::import(store, &path, &req)
    };
    let _ = std::fs::remove_dir_all(&dir);
    let outcome = result?;
    if outcome.problems.has_errors() {
        let mut lines: Vec<String> = outcome
            .problems
            .errors()
            .take(20)
            .map(|p| p.to_string())
            .collect();
        let more = outcome.problems.errors.saturating_sub(lines.len() as u64);
        if more > 0 {
            lines.push(format!("… and {more} more errors"));
        }
        return Err(PullError::FileRefused {
            url: source.url.clone(),
            problems: lines.join("\n"),
        });
    }
    report.outcome = "imported".into();
    report.import = Some(outcome);
    Ok(report)
}

/// The last segment of an address's path, made safe as a file name.
fn url_file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let after_host = path.splitn(4, '/').nth(3).unwrap_or("");
    safe_name(after_host.rsplit('/').next().unwrap_or(""))
}

/// A name with only letters, digits, `.`, `-` and `_` (anything else `_`), never empty or
/// starting with a dot.
fn safe_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.insert_str(0, "file");
    }
    out
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, PullError> {
    let io = |e: std::io::Error| PullError::Config(format!("cannot write {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(io)?;
    Ok(path)
}

/// The member of a ZIP archive to import: the one named, or the only data file in it. Bounded:
/// at most [`MAX_MEMBERS`] parts, and `limit` bytes unpacked (checked while unpacking, so a
/// part that lies about its size is caught).
fn unzip(
    url: &str,
    body: &[u8],
    member: Option<&str>,
    limit: u64,
) -> Result<(String, Vec<u8>), PullError> {
    let invalid = |why: String| PullError::Invalid {
        url: url.to_string(),
        why,
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body))
        .map_err(|e| invalid(format!("not a ZIP archive: {e}")))?;
    if zip.len() > MAX_MEMBERS {
        return Err(invalid(format!(
            "the archive has more than {MAX_MEMBERS} parts"
        )));
    }
    let names: Vec<String> = zip
        .file_names_raw()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let data_file = |n: &str| {
        let l = n.to_ascii_lowercase();
        !l.ends_with('/')
            && [".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsb", ".ods"]
                .iter()
                .any(|e| l.ends_with(e))
    };
    let chosen = match member {
        Some(m) => names
            .iter()
            .find(|n| *n == m || n.rsplit('/').next() == Some(m))
            .cloned()
            .ok_or_else(|| {
                invalid(format!(
                    "the archive has no part '{m}' (member); it has: {}",
                    list(&names)
                ))
            })?,
        None => {
            let found: Vec<&String> = names.iter().filter(|n| data_file(n)).collect();
            match found[..] {
                [one] => one.clone(),
                _ => {
                    return Err(invalid(format!(
                        "the archive has {} data files; name the one to import with member = \"…\" (parts: {})",
                        found.len(),
                        list(&names)
                    )));
                }
            }
        }
    };
    let mut f = zip
        .by_name(&chosen)
        .map_err(|e| invalid(format!("part '{chosen}' cannot be read: {e}")))?;
    if f.size() > limit {
        return Err(invalid(format!(
            "part '{chosen}' unpacks to more than {limit} bytes"
        )));
    }
    let mut data = Vec::new();
    (&mut f)
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| invalid(format!("part '{chosen}' cannot be unpacked: {e}")))?;
    if data.len() as u64 > limit {
        return Err(invalid(format!(
            "part '{chosen}' unpacks to more than {limit} bytes"
        )));
    }
    let name = safe_name(chosen.rsplit('/').next().unwrap_or(&chosen));
    Ok((name, data))
}

fn list(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(20)
        .map(|n| peil_core::shown(n))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 20 {
        s.push_str(&format!(", … ({} in all)", names.len()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (n, b) in parts {
            w.start_file(
                *n,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn names_from_addresses_are_safe() {
        assert_eq!(
            url_file_name("https://statbel.fgov.be/files/TF_POP.zip?x=1"),
            "TF_POP.zip"
        );
        assert_eq!(
            url_file_name("http://h/a/..%2f..%2fetc"),
            "file.._2f.._2fetc"
        );
        assert_eq!(url_file_name("http://h/"), "file");
        assert_eq!(safe_name("a b/ë.csv"), "a_b__.csv");
    }

    #[test]
    fn a_zip_gives_its_one_data_file_or_the_member_named() {
        let z = zip_of(&[("README.md", b"hi"), ("data/pop.csv", b"a;b\n1;2\n")]);
        assert_eq!(
            unzip("u", &z, None, 1000).unwrap(),
            ("pop.csv".into(), b"a;b\n1;2\n".to_vec())
        );
        assert_eq!(unzip("u", &z, Some("pop.csv"), 1000).unwrap().0, "pop.csv");
        let e = unzip("u", &z, Some("x.csv"), 1000).unwrap_err().to_string();
        assert!(
            e.contains("no part 'x.csv'") && e.contains("data/pop.csv"),
            "{e}"
        );
        let two = zip_of(&[("a.csv", b"1"), ("b.csv", b"2")]);
        let e = unzip("u", &two, None, 1000).unwrap_err().to_string();
        assert!(e.contains("2 data files"), "{e}");
        // Bounded unpacking.
        let big = zip_of(&[("big.csv", &vec![b'1'; 5000])]);
        let e = unzip("u", &big, None, 1000).unwrap_err().to_string();
        assert!(e.contains("more than 1000 bytes"), "{e}");
        let e = unzip("u", b"not a zip", None, 1000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a ZIP archive"), "{e}");
    }
}
