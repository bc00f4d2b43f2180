//! SVG to PNG with resvg, for reports, downloads and social previews.

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Largest PNG side in pixels; larger requests fail instead of allocating gigabytes.
pub const MAX_SIDE: u32 = 16_384;

/// Why an SVG could not be turned into a PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PngError(pub String);

impl fmt::Display for PngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot render PNG: {}", self.0)
    }
}

impl std::error::Error for PngError {}

/// The process-wide font database: the system fonts, loaded once on first use, with the
/// generic `sans-serif` family mapped to an installed sans font.
fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let installed: Vec<String> = db
            .faces()
            .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
            .collect();
        for family in [
            "DejaVu Sans",
            "Liberation Sans",
            "Noto Sans",
            "Arial",
            "Roboto",
        ] {
            if installed.iter().any(|f| f == family) {
                db.set_sans_serif_family(family);
                break;
            }
        }
        Arc::new(db)
    })
    .clone()
}

/// Renders SVG text to PNG at `scale` (1.0 = one pixel per SVG px), on a white
/// background (the graphics assume white; a transparent PNG would lose its text on dark
/// viewers). Text uses the system fonts (a process-wide font database loaded once), so it
/// renders wherever fonts are installed; without fonts text is left out.
pub fn to_png(svg: &str, scale: f32) -> Result<Vec<u8>, PngError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(PngError(format!("invalid scale {scale}")));
    }
    let opt = usvg::Options {
        fontdb: fonts(),
        font_family: "DejaVu Sans".to_string(),
        languages: vec!["nl".into(), "en".into(), "fr".into()],
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| PngError(e.to_string()))?;
    let size = tree.size();
    let w = (size.width() * scale).ceil();
    let h = (size.height() * scale).ceil();
    if !(w >= 1.0 && h >= 1.0 && w <= MAX_SIDE as f32 && h <= MAX_SIDE as f32) {
        return Err(PngError(format!("image size {w}×{h} out of range")));
    }
    let mut pixmap = tiny_skia::Pixmap::new(w as u32, h as u32)
        .ok_or_else(|| PngError("cannot allocate image".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| PngError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_signature_and_size() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20" width="40" height="20"><rect width="20" height="20" fill="#0072b2"/><text x="22" y="14" font-family="DejaVu Sans" font-size="10">x</text></svg>"##;
        let png = to_png(svg, 2.0).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR width and height.
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 80);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 40);
    }

    #[test]
    fn errors() {
        assert!(to_png("<svg", 1.0).is_err());
        assert!(
            to_png(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>",
                0.0
            )
            .is_err()
        );
        let e = to_png("not svg", 1.0).unwrap_err();
        assert!(e.to_string().starts_with("cannot render PNG"));
    }
}
