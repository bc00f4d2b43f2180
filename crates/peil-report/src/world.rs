//! The in-memory Typst world: one main source, figures served from a map, process-wide fonts
//! and standard library.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Fonts loaded once per process: typst-assets' bundled fonts, then the system's sans-serif
/// fonts under `/usr/share/fonts` (when the directory exists).
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

/// Font files larger than this are skipped (CJK collections would cost memory for nothing).
const MAX_FONT_FILE: u64 = 24 * 1024 * 1024;

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        let mut files = Vec::new();
        collect_font_files(Path::new("/usr/share/fonts"), &mut files, 0);
        files.sort();
        for path in files {
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            for font in Font::iter(Bytes::new(data)) {
                let family = font.info().family.to_ascii_lowercase();
                if family.contains("sans") && !family.contains("mono") && !family.contains("serif")
                {
                    fonts.push(font);
                }
            }
        }
        let book = FontBook::from_fonts(&fonts);
        Fonts {
            book: LazyHash::new(book),
            fonts,
        }
    })
}

fn collect_font_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            collect_font_files(&path, out, depth + 1);
        } else if meta.len() <= MAX_FONT_FILE
            && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "ttf" | "otf" | "ttc" | "otc"
                )
            })
        {
            out.push(path);
        }
    }
}

/// Whether a font family is available (bundled or found on the system).
pub(crate) fn has_family(family: &str) -> bool {
    fonts().book.contains_family(&family.to_lowercase())
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

/// The path of the main source in the virtual project.
const MAIN: &str = "/__peil_report_main.typ";

pub(crate) struct MemoryWorld {
    main: Source,
    files: HashMap<String, Bytes>,
    today: Option<Datetime>,
}

impl MemoryWorld {
    pub fn new(source: &str, files: &HashMap<String, Vec<u8>>, today: Option<Datetime>) -> Self {
        let id = RootedPath::new(
            VirtualRoot::Project,
            VirtualPath::new(MAIN).expect("valid path"),
        )
        .intern();
        let files = files
            .iter()
            .map(|(name, data)| {
                (
                    name.trim_start_matches('/').to_string(),
                    Bytes::new(data.clone()),
                )
            })
            .collect();
        MemoryWorld {
            main: Source::new(id, source.to_string()),
            files,
            today,
        }
    }

    pub fn main_source(&self) -> &Source {
        &self.main
    }

    fn lookup(&self, id: FileId) -> FileResult<&Bytes> {
        let path = id.vpath().get_without_slash();
        match id.root() {
            VirtualRoot::Project => self.files.get(path),
            VirtualRoot::Package(_) => None,
        }
        .ok_or_else(|| FileError::NotFound(PathBuf::from(path)))
    }
}

impl World for MemoryWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        let bytes = self.lookup(id)?;
        let text = std::str::from_utf8(bytes.as_slice()).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_string()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.lookup(id).cloned()
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        self.today
    }
}
