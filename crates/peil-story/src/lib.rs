//! Stories, reports and dashboards (issue 6): content files in the site directory with
//! template logic and data functions over the published snapshot, rendered for the web
//! (HTML with inline SVG) and, through `peil-report`, as PDF (`pdf.rs`, also one PDF per
//! area into a ZIP). The built-in omgevingsanalyse
//! pack (`pack/`) is a set of such stories that works on whatever indicators a site has.
//!
//! Invariants: stories read public indicators only (a report is a public document); an
//! indicator a site does not have is left out and listed, never an error; every template is
//! checked (syntax and a trial render) when the site is checked, with file, line and reason.

pub mod dashboard;
pub mod data;
pub mod html;
pub mod pack;
pub mod pdf;
pub mod story;

pub use dashboard::{Dashboard, Tile, TileKind, WebTile, render_tiles};
pub use data::{Area, Data};
pub use story::{Meta, Rendered, Story, StoryError, check, render};

/// Stories and dashboards of a site: its own files, then the built-in pack (a site's file
/// of the same name replaces the built-in one).
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub stories: Vec<Story>,
    pub dashboards: Vec<Dashboard>,
}

impl Content {
    /// Reads `stories/*.md` and `dashboards/*.toml` under a site directory, plus the
    /// built-in pack. Every file is parsed; the good ones are kept and the problems of the
    /// others returned together.
    pub fn load(dir: &std::path::Path) -> (Content, Vec<StoryError>) {
        let mut c = Content::default();
        let mut errors = Vec::new();
        for (sub, ext) in [("stories", "md"), ("dashboards", "toml")] {
            let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
                continue;
            };
            let mut files: Vec<std::path::PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
                .collect();
            files.sort();
            for p in files {
                let name = p
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("")
                    .to_string();
                let file = format!(
                    "{sub}/{}",
                    p.file_name().and_then(|s| s.to_str()).unwrap_or("")
                );
                let text = match std::fs::read_to_string(&p) {
                    Ok(t) => t,
                    Err(e) => {
                        errors.push(StoryError {
                            file,
                            line: None,
                            reason: format!("cannot read: {e}"),
                        });
                        continue;
                    }
                };
                if !name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
                    || name.is_empty()
                {
                    errors.push(StoryError {
                        file,
                        line: None,
                        reason: "the file name is its address: use letters, digits, - and _ only"
                            .into(),
                    });
                    continue;
                }
                let r = if ext == "md" {
                    Story::parse(&name, &file, &text).map(|s| c.stories.push(s))
                } else {
                    Dashboard::parse(&name, &file, &text).map(|d| c.dashboards.push(d))
                };
                if let Err(e) = r {
                    errors.push(e);
                }
            }
        }
        for s in pack::stories() {
            if !c.stories.iter().any(|x| x.name == s.name) {
                c.stories.push(s);
            }
        }
        (c, errors)
    }

    /// Only the built-in pack (a site without content files).
    pub fn builtin() -> Content {
        Content {
            stories: pack::stories(),
            dashboards: pack::dashboards(),
        }
    }

    pub fn story(&self, name: &str) -> Option<&Story> {
        self.stories.iter().find(|s| s.name == name)
    }

    pub fn dashboard(&self, name: &str) -> Option<&Dashboard> {
        self.dashboards.iter().find(|d| d.name == name)
    }
}
