//! A rendered story as HTML for the web: Markdown through pulldown-cmark (raw HTML in the
//! source is escaped, never passed through), figures replaced by their inline SVG.

use crate::story::Rendered;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The story's body as HTML, with each figure inline in a `<figure>` with its caption.
pub fn to_html(r: &Rendered) -> String {
    let figures: std::collections::HashMap<&str, &str> = r
        .figures
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    let mut events: Vec<Event> = Vec::new();
    let mut in_image: Option<String> = None;
    let mut caption = String::new();
    for ev in Parser::new_ext(&r.markdown, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Image { dest_url, .. }) => {
                in_image = Some(dest_url.to_string());
                caption.clear();
            }
            Event::End(TagEnd::Image) => {
                let name = in_image.take().unwrap_or_default();
                let html = match figures.get(name.as_str()) {
                    Some(svg) => format!(
                        "<figure class=\"story-figure\">{svg}<figcaption>{}</figcaption></figure>",
                        peil_render::escape(&caption)
                    ),
                    // An image of the site's library: `![alt](content/name.png)`.
                    None => match content_image(&name) {
                        Some(file) => format!(
                            "<img class=\"content-image\" src=\"/content/{file}\" alt=\"{}\">",
                            peil_render::escape(&caption)
                        ),
                        None => String::new(),
                    },
                };
                events.push(Event::InlineHtml(html.into()));
            }
            Event::Text(t) if in_image.is_some() => caption.push_str(&t),
            // Authors write Markdown; HTML in a story is shown as text, never run.
            Event::Html(t) | Event::InlineHtml(t) => events.push(Event::Text(t)),
            e if in_image.is_some() => drop(e),
            e => events.push(e),
        }
    }
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    // A figure alone in a paragraph should not sit inside <p>.
    out.replace("<p><figure", "<figure")
        .replace("</figure></p>", "</figure>")
}

/// The files of the site's `content/` folder a rendered story shows as images
/// (`![alt](content/kaart.png)`, by [`content_image`]'s rule), once each, in order: what its
/// PDF needs besides its figures.
pub fn content_images(markdown: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ev in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        if let Event::Start(Tag::Image { dest_url, .. }) = ev
            && let Some(file) = content_image(&dest_url)
            && !out.iter().any(|f| f == file)
        {
            out.push(file.to_string());
        }
    }
    out
}

/// The file of an image of the site's `content/` folder a story names (`content/kaart.png`):
/// a plain name of letters, digits, `-`, `_` and one extension of an image type; anything else
/// (another host, a path) is no image.
fn content_image(url: &str) -> Option<&str> {
    let file = url.strip_prefix("content/")?;
    let (stem, ext) = file.rsplit_once('.')?;
    let plain = !stem.is_empty()
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let image = ["png", "jpg", "jpeg", "webp", "gif"].contains(&ext);
    (plain && image).then_some(file)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_library_images_are_shown() {
        assert_eq!(
            super::content_image("content/kaart-1.png"),
            Some("kaart-1.png")
        );
        assert_eq!(super::content_image("content/../peil.toml"), None);
        assert_eq!(super::content_image("https://evil.example/x.png"), None);
        assert_eq!(super::content_image("content/x.svg"), None);
    }
}
