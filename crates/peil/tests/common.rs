//! Helpers shared by the CLI integration tests: run the real `peil` binary on a real site.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared real-data folder, next to the checkout.
pub fn flanders() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = here.join("../../../shared/data/flanders");
    assert!(p.exists(), "real data not found at {}", p.display());
    p
}

pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let s = Site { dir };
        s.ok(&["init", "--name", "Test"]);
        s
    }

    /// A new site holding a copy of this one's files (no process may be writing to it).
    pub fn copy_of(other: &Site) -> Site {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "peil.toml",
            "peil.sqlite",
            "peil.sqlite-wal",
            "peil.sqlite-shm",
        ] {
            let p = other.path().join(f);
            if p.exists() {
                std::fs::copy(&p, dir.path().join(f)).unwrap();
            }
        }
        Site { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> PathBuf {
        self.path().join("peil.sqlite")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_peil"))
            .arg("--site")
            .arg(self.path())
            .args(args)
            .env_remove("PEIL_SITE")
            .output()
            .expect("peil runs")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "peil {args:?} failed ({:?}):\n{}\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    pub fn import(&self, file: &Path, extra: &[&str]) -> String {
        let mut args = vec!["import", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["status", "--json"])).unwrap()
    }

    /// Everything observable about the stored data: the full export and the status.
    pub fn state(&self) -> String {
        let mut status = self.status();
        status.as_object_mut().unwrap().remove("imports");
        format!("{}\n{}", self.ok(&["export"]), status)
    }
}

/// Items per level from a status document.
pub fn items(status: &serde_json::Value, level: &str) -> u64 {
    status["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == level)
        .map(|l| l["items"].as_u64().unwrap())
        .unwrap_or(0)
}
