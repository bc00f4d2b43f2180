//! The image library: the pictures in the site's `content/` folder that stories, dashboards and
//! the logo use. Upload (multipart, at most [`MAX_IMAGE`] bytes), list with a thumbnail and the
//! snippet that uses each, delete (refused while a story, dashboard or `peil.toml` names it).
//!
//! Only PNG, JPEG, WebP and GIF are taken, recognised by their first bytes, never by the name
//! or the declared type; the file gets the extension of what it is. SVG is refused, not
//! sanitised: an SVG is a program (scripts, event attributes, external references, CSS) and
//! a sanitiser that misses one form of it makes the site serve a stranger's script; a city
//! that needs a vector logo puts it in the site folder itself (`logo` in peil.toml), as before.
//! Names are made safe (lower-case letters, digits, `-`, `_`; nothing of a path survives), and
//! a name in use gets a number rather than replacing the other image.

use super::content::{site_dir, who, write_atomic};
use super::{Admin, no_store};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use std::path::PathBuf;

/// Largest image the library takes (bytes).
pub(super) const MAX_IMAGE: usize = 5 << 20;
/// Longest file name (without extension) an image gets.
const MAX_NAME: usize = 60;

/// The image types the library takes: (extension, media type).
const TYPES: [(&str, &str); 4] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("webp", "image/webp"),
    ("gif", "image/gif"),
];

/// The type of an image by its first bytes: its extension, or `None` when it is none of
/// [`TYPES`].
pub(super) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("jpg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

/// A safe file stem for an uploaded name: the last path component only, lower-case ASCII
/// letters and digits, `-` and `_`; everything else a `-`, runs of them one, no leading dot.
pub(super) fn safe_stem(asked: &str) -> String {
    let last = asked.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = match last.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => last,
    };
    let mut out = String::new();
    for c in stem.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
        if out.len() >= MAX_NAME {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "image".into() } else { out }
}

/// Whether `file` names an image of the library (a safe name with one of [`TYPES`]'s
/// extensions; the public `/content/` route serves the same names).
pub(super) fn is_image_name(file: &str) -> bool {
    let Some((stem, ext)) = file.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && !stem.starts_with('.')
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && (TYPES.iter().any(|(e, _)| *e == ext) || ext == "jpeg")
}

/// An image of the library.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct Image {
    pub name: String,
    pub bytes: u64,
}

fn content_dir(st: &AppState) -> Option<PathBuf> {
    site_dir(st).map(|d| d.join("content"))
}

/// The images in `content/`, by name.
pub(super) fn library(st: &AppState) -> Vec<Image> {
    let Some(dir) = content_dir(st) else {
        return Vec::new();
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Image> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let meta = e.metadata().ok()?;
            (meta.is_file() && is_image_name(&name)).then_some(Image {
                name,
                bytes: meta.len(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The site files that name `image`: stories, dashboards and peil.toml.
fn users_of(st: &AppState, image: &str) -> Vec<String> {
    let Some(dir) = site_dir(st) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for folder in ["stories", "dashboards"] {
        let Ok(rd) = std::fs::read_dir(dir.join(folder)) else {
            continue;
        };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for p in files {
            if std::fs::read_to_string(&p).is_ok_and(|t| t.contains(image)) {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                out.push(format!("{folder}/{name}"));
            }
        }
    }
    if std::fs::read_to_string(dir.join(super::settings::CONFIG)).is_ok_and(|t| t.contains(image)) {
        out.push(super::settings::CONFIG.to_string());
    }
    out
}

fn page(
    st: &AppState,
    a: &Admin,
    status: StatusCode,
    message: Option<serde_json::Value>,
) -> Response {
    let images: Vec<_> = library(st)
        .into_iter()
        .map(|i| {
            json!({
                "name": i.name,
                "kb": i.bytes.div_ceil(1024),
                "src": format!("/content/{}", i.name),
                "story": format!("![…](content/{})", i.name),
                "tile": format!("[[tile]]\nkind = \"image\"\nimage = \"{}\"\nalt = \"…\"", i.name),
                "delete": a.page.href(&format!("/admin/images/{}/delete", i.name)),
                "used_by": users_of(st, &i.name),
            })
        })
        .collect();
    let mut r = a.render(
        "admin_images.html",
        "admin_images",
        json!({"images": images, "max_mb": MAX_IMAGE >> 20, "message": message}),
    );
    *r.status_mut() = status;
    r
}

pub(super) async fn list(State(st): State<AppState>, a: Admin) -> Response {
    let message = a
        .page
        .param("added")
        .map(|n| json!({"text": format!("{}: {n}", a.page.word("admin_image_added")), "ok": true}));
    page(&st, &a, StatusCode::OK, message)
}

/// Why an upload was refused, with its status.
fn refuse(st: &AppState, a: &Admin, status: StatusCode, text: String) -> Response {
    page(st, a, status, Some(json!({"text": text, "ok": false})))
}

/// The uploaded image: (asked name, bytes), at most [`MAX_IMAGE`] bytes.
async fn read_upload(
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, Vec<u8>), (StatusCode, String)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bad = |t: String| (StatusCode::BAD_REQUEST, t);
    let boundary = multer::parse_boundary(ct)
        .map_err(|_| bad("expected a multipart/form-data upload".into()))?;
    let limits = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream((MAX_IMAGE + 64 * 1024) as u64));
    let mut mp = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("an image may be at most {} MB", MAX_IMAGE >> 20),
        )
    };
    let read_err = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            too_large()
        }
        e => bad(format!("the upload could not be read: {e}")),
    };
    while let Some(mut f) = mp.next_field().await.map_err(read_err)? {
        if f.name() != Some("image") {
            continue;
        }
        let asked = f.file_name().unwrap_or("").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = f.chunk().await.map_err(read_err)? {
            if bytes.len() + chunk.len() > MAX_IMAGE {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((asked, bytes));
    }
    Err(bad("choose an image to upload".into()))
}

/// Takes an uploaded image into `content/` under a safe, unused name.
pub(super) async fn upload(
    State(st): State<AppState>,
    a: Admin,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (asked, bytes) = match read_upload(&headers, body).await {
        Ok(x) => x,
        Err((status, text)) => return refuse(&st, &a, status, text),
    };
    if bytes.is_empty() {
        return refuse(&st, &a, StatusCode::BAD_REQUEST, "the file is empty".into());
    }
    let Some(ext) = sniff(&bytes) else {
        let text = if bytes.iter().take(1024).any(|b| *b == b'<') {
            a.page.word("admin_image_svg")
        } else {
            a.page.word("admin_image_type")
        };
        a.audit(
            &st,
            "image refused",
            json!({"asked": asked, "bytes": bytes.len()}),
        )
        .await;
        return refuse(
            &st,
            &a,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            text.to_string(),
        );
    };
    let Some(dir) = content_dir(&st) else {
        return refuse(
            &st,
            &a,
            StatusCode::INTERNAL_SERVER_ERROR,
            "this server has no site folder to write to".into(),
        );
    };
    let stem = safe_stem(&asked);
    let st2 = st.clone();
    let saved = tokio::task::spawn_blocking(move || {
        st2.with_site_files(|| -> std::io::Result<String> {
            let mut name = format!("{stem}.{ext}");
            let mut n = 2;
            while dir.join(&name).exists() {
                name = format!("{stem}-{n}.{ext}");
                n += 1;
            }
            write_atomic(&dir.join(&name), &bytes)?;
            // Pages that showed the image's absence are not served again.
            st2.set_site((*st2.site()).clone());
            Ok(name)
        })
    })
    .await;
    match saved {
        Ok(Ok(name)) => {
            a.audit(
                &st,
                "image added",
                json!({"file": format!("content/{name}"), "asked": asked, "by": who(&a)}),
            )
            .await;
            let to = a.page.href(&format!(
                "/admin/images?added={}",
                crate::api::encode(&name)
            ));
            no_store(Redirect::to(&to).into_response())
        }
        Ok(Err(e)) => refuse(&st, &a, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => refuse(&st, &a, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Deletes an image no story, dashboard or setting names.
pub(super) async fn delete(
    State(st): State<AppState>,
    Path(file): Path<String>,
    a: Admin,
) -> Response {
    let Some(dir) = content_dir(&st) else {
        return no_store(a.page.not_found());
    };
    if !is_image_name(&file) || !dir.join(&file).is_file() {
        return no_store(a.page.not_found());
    }
    let used = users_of(&st, &file);
    if !used.is_empty() {
        let text = format!("{} {}", a.page.word("admin_image_in_use"), used.join(", "));
        return refuse(&st, &a, StatusCode::CONFLICT, text);
    }
    let st2 = st.clone();
    let path = dir.join(&file);
    let removed = tokio::task::spawn_blocking(move || {
        st2.with_site_files(|| {
            let r = std::fs::remove_file(&path);
            st2.set_site((*st2.site()).clone());
            r
        })
    })
    .await;
    match removed {
        Ok(Ok(())) => {
            a.audit(
                &st,
                "image deleted",
                json!({"file": format!("content/{file}")}),
            )
            .await;
            page(
                &st,
                &a,
                StatusCode::OK,
                Some(
                    json!({"text": format!("{}: {file}", a.page.word("admin_image_deleted")), "ok": true}),
                ),
            )
        }
        Ok(Err(e)) => refuse(&st, &a, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => refuse(&st, &a, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("jpg"));
        assert_eq!(sniff(b"GIF89a..."), Some("gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_keep_nothing_of_a_path() {
        assert_eq!(safe_stem("../../peil.toml"), "peil");
        assert_eq!(safe_stem("..\\..\\Mijn Foto (1).PNG"), "mijn-foto-1");
        assert_eq!(safe_stem(".htaccess"), "htaccess");
        assert_eq!(safe_stem("../"), "image");
        assert_eq!(safe_stem("été.jpg"), "t");
        assert!(is_image_name("kaart-1.png"));
        assert!(!is_image_name("../x.png"));
        assert!(!is_image_name(".x.png"));
        assert!(!is_image_name("x.svg"));
    }
}
