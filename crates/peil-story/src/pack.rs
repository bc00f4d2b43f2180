//! The built-in omgevingsanalyse pack: stories compiled into the binary, replaced by a
//! site's own file of the same name (`stories/omgevingsanalyse.md`).

use crate::dashboard::Dashboard;
use crate::story::Story;

const PACK: &[(&str, &str)] = &[(
    "omgevingsanalyse",
    include_str!("../pack/omgevingsanalyse.md"),
)];

/// The pack's stories.
pub fn stories() -> Vec<Story> {
    PACK.iter()
        .map(|(name, text)| {
            Story::parse(name, &format!("(built in) {name}.md"), text)
                .unwrap_or_else(|e| panic!("the built-in pack is broken: {e}"))
        })
        .collect()
}

/// Built-in dashboards: none; dashboards are a site's own files.
pub fn dashboards() -> Vec<Dashboard> {
    Vec::new()
}

/// The text of a built-in story, for copying into a site to edit.
pub fn source(name: &str) -> Option<&'static str> {
    PACK.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
