//! The deployment files (`Dockerfile`, `deploy/peil.service`) against the real binary: these
//! machines have no container runtime or systemd, so what can be checked here is: every
//! command they run parses with this `peil`, the build stage's toolchain is at least the
//! workspace's `rust-version`, images are pinned (no `latest`), the image runs as a non-root
//! user, and the unit runs as one with the file system read-only but the site. `hadolint` runs
//! too where it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Asserts that `args` (a command line without the program) is one this `peil` accepts.
fn parses(args: &[&str], what: &str) {
    assert_eq!(
        args.first(),
        Some(&"peil"),
        "{what}: runs {args:?}, not peil"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(&args[1..])
        .arg("--help")
        .env_remove("PEIL_SITE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what}: `{}` is refused by this peil:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let sub = args[1];
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("Usage: peil {sub}")),
        "{what}: {args:?}"
    );
}

/// Words of a shell command line: split at blanks outside double quotes, quotes removed.
fn shell_words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn version(v: &str) -> (u32, u32) {
    let mut p = v.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    (p.next().unwrap_or(0), p.next().unwrap_or(0))
}

#[test]
fn the_dockerfile_builds_this_workspace_and_runs_peil_as_a_user() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .copied()
        .collect();
    assert!(froms.len() >= 2, "a multi-stage build: {froms:?}");
    for f in &froms {
        let image = f.split_whitespace().nth(1).unwrap();
        let tag = image.split_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(!tag.is_empty() && tag != "latest", "{f}: pin the image");
    }
    // The toolchain of the build stage is at least the workspace's rust-version.
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let wanted = cargo
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let rust_tag = froms[0]
        .split_whitespace()
        .nth(1)
        .and_then(|i| i.strip_prefix("rust:"))
        .expect("the build stage uses the rust image");
    assert!(
        version(rust_tag.split('-').next().unwrap()) >= version(wanted),
        "rust:{rust_tag} is older than rust-version {wanted}"
    );
    // The final stage: a non-root user, the binary copied from the build, peil serve.
    let last = text.rfind("\nFROM ").unwrap();
    let final_stage = &text[last..];
    let user = final_stage
        .lines()
        .find_map(|l| l.trim().strip_prefix("USER "))
        .expect("the final stage sets USER");
    assert!(!["root", "0"].contains(&user.trim()), "USER {user}");
    assert!(final_stage.contains("COPY --from=build /src/target/release/peil /usr/local/bin/peil"));
    let cmd = final_stage
        .lines()
        .find_map(|l| l.trim().strip_prefix("CMD "))
        .expect("CMD");
    let cmd: Vec<String> = serde_json::from_str(cmd).expect("CMD in exec form");
    parses(&cmd.iter().map(String::as_str).collect::<Vec<_>>(), "CMD");
    // The commands in the file's own instructions parse too.
    for l in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#   docker run "))
    {
        let words = shell_words(l);
        let words: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .take_while(|w| *w != "#")
            .collect();
        if let Some(p) = words.iter().position(|w| *w == "peil")
            && words.get(p + 1).is_some_and(|w| *w == "peil")
        {
            parses(&words[p + 1..], "the Dockerfile's example");
        }
    }
    let hadolint = Command::new("hadolint")
        .arg(root().join("Dockerfile"))
        .output();
    if let Ok(out) = hadolint {
        assert!(
            out.status.success(),
            "hadolint:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn the_systemd_unit_runs_peil_confined() {
    let text = std::fs::read_to_string(root().join("deploy/peil.service")).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}="))
            .trim()
            .to_string()
    };
    assert_eq!(value("User"), "peil");
    assert_eq!(value("NoNewPrivileges"), "yes");
    assert_eq!(value("ProtectSystem"), "strict");
    let site = value("Environment");
    let site = site.strip_prefix("PEIL_SITE=").expect("PEIL_SITE set");
    assert!(
        site.starts_with(&value("ReadWritePaths")),
        "the site {site} is writable"
    );
    for exec in text.lines().filter_map(|l| {
        let l = l.trim().trim_start_matches("# ");
        l.strip_prefix("ExecStart=")
    }) {
        let words: Vec<&str> = exec.split_whitespace().collect();
        assert_eq!(words[0], "/usr/local/bin/peil");
        let mut args = vec!["peil"];
        args.extend(&words[1..]);
        parses(&args, "ExecStart");
    }
}
