//! Stories as PDF, through `peil-report`: one rendered story typeset with the site's name and
//! colour, and one PDF per area of a level into a ZIP (the server's bulk jobs and
//! `peil report --all` alike). Dates travel as [`time::Date`] values; the report writes them
//! in its language.

use crate::{Area, Data, Rendered, Story};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How a PDF is made: who publishes it, in which colour, language and on which date.
#[derive(Debug, Clone, Copy)]
pub struct PdfOptions<'a> {
    /// The site's name: on the cover, in the footer, the PDF's author.
    pub publisher: &'a str,
    /// The site's brand colour (`#rrggbb`) for headings and rules.
    pub accent: &'a str,
    /// `nl`, `en` or `fr`: the words Peil adds and the date's month names.
    pub lang: &'a str,
    /// The date on the cover and in the PDF's metadata (usually [`today`]).
    pub date: time::Date,
    /// The site's directory, whose `content/` folder holds the images of the library that
    /// stories show (`![alt](content/kaart.png)`); none: there is no such folder.
    pub site_dir: Option<&'a std::path::Path>,
}

/// The largest library image a PDF takes (the back office's uploads are smaller).
const MAX_IMAGE: u64 = 32 << 20;

/// Today's date (UTC), for covers and story pages.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Why a PDF or a ZIP of PDFs could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The story could not be rendered for an area.
    #[error(transparent)]
    Story(#[from] crate::StoryError),
    /// Typst could not typeset the rendered story.
    #[error(transparent)]
    Typeset(#[from] peil_report::ReportError),
    /// One area's report failed (the run stops at the first).
    #[error("{level} {code}: {source}")]
    Area {
        level: String,
        code: String,
        source: Box<PdfError>,
    },
    #[error("no thread for the reports: {0}")]
    Thread(std::io::Error),
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The run was cancelled (the flag given to [`bulk_zip`]).
    #[error("cancelled")]
    Cancelled,
}

/// Typesets a rendered story as PDF.
pub fn to_pdf(r: &Rendered, o: &PdfOptions, landscape: bool) -> Result<Vec<u8>, PdfError> {
    let mut files: HashMap<String, Vec<u8>> = r
        .figures
        .iter()
        .map(|(n, s)| (n.clone(), s.clone().into_bytes()))
        .collect();
    // The library images it shows, under the names the Markdown gives them.
    if let Some(dir) = o.site_dir {
        for file in crate::html::content_images(&r.markdown) {
            let path = dir.join("content").join(&file);
            let read = || -> std::io::Result<Vec<u8>> {
                let size = std::fs::metadata(&path)?.len();
                if size > MAX_IMAGE {
                    return Err(std::io::Error::other(format!(
                        "{size} bytes, more than a PDF takes ({MAX_IMAGE})"
                    )));
                }
                std::fs::read(&path)
            };
            let bytes = read().map_err(|e| {
                PdfError::Io(std::io::Error::new(
                    e.kind(),
                    format!("content/{file}: {e}"),
                ))
            })?;
            files.insert(format!("content/{file}"), bytes);
        }
    }
    let mut markdown = r.markdown.clone();
    if !r.missing.is_empty() {
        markdown.push_str(&format!(
            "\n\n> {}: {}\n",
            match o.lang {
                "en" => "Not in this databank, left out",
                "fr" => "Absents de cette base, omis",
                _ => "Niet in deze databank, weggelaten",
            },
            r.missing.join(", ")
        ));
    }
    peil_report::pdf(&peil_report::Report {
        title: &r.title,
        subtitle: &r.subtitle,
        publisher: o.publisher,
        date: o.date,
        lang: o.lang,
        landscape,
        cover: true,
        toc: true,
        markdown: &markdown,
        files: &files,
        sources: &r.sources,
        accent: o.accent,
    })
    .map_err(PdfError::from)
}

/// Typesets a document that is Markdown only (the handbook): cover, contents and page
/// numbers as a story's PDF has, no figures and no sources.
pub fn document_pdf(
    title: &str,
    subtitle: &str,
    markdown: &str,
    o: &PdfOptions,
) -> Result<Vec<u8>, PdfError> {
    peil_report::pdf(&peil_report::Report {
        title,
        subtitle,
        publisher: o.publisher,
        date: o.date,
        lang: o.lang,
        landscape: false,
        cover: true,
        toc: true,
        markdown,
        files: &HashMap::new(),
        sources: &[],
        accent: o.accent,
    })
    .map_err(PdfError::from)
}

/// Makes one PDF per area into a ZIP written to `out`, on every core, calling
/// `progress(done, total)` after each. Any failure stops the run and names the area; so does
/// `cancel` being set (checked before every report).
pub fn bulk_zip<W: std::io::Write + std::io::Seek>(
    out: W,
    data: &Arc<Data>,
    story: &Story,
    areas: &[Area],
    o: &PdfOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<W, PdfError> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(out);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(areas.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(usize, Vec<u8>), PdfError>>(workers * 2);
    std::thread::scope(|scope| -> Result<(), PdfError> {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            let worker = std::thread::Builder::new()
                .name("peil-job-worker".into())
                .spawn_scoped(scope, move || {
                    loop {
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        if k >= areas.len()
                            || stop.load(Ordering::SeqCst)
                            || cancel.load(Ordering::SeqCst)
                        {
                            break;
                        }
                        let a = &areas[k];
                        let r = crate::render(data, story, a, None, o.lang, None)
                            .map_err(PdfError::from)
                            .and_then(|r| to_pdf(&r, o, story.meta.landscape))
                            .map(|pdf| (k, pdf))
                            .map_err(|e| PdfError::Area {
                                level: a.level.clone(),
                                code: a.code.clone(),
                                source: Box::new(e),
                            });
                        if tx.send(r).is_err() {
                            break;
                        }
                    }
                });
            worker.map_err(PdfError::Thread)?;
        }
        drop(tx);
        let mut done = 0;
        for r in rx {
            match r {
                Ok((k, pdf)) => {
                    let a = &areas[k];
                    let name = data.area_name(a).unwrap_or_default();
                    let safe: String = name
                        .chars()
                        .map(|c| {
                            if c.is_alphanumeric() || c == '-' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    zip.start_file(format!("{}_{}_{safe}.pdf", story.name, a.code), opts)?;
                    zip.write_all(&pdf)?;
                    done += 1;
                    progress(done, areas.len());
                    if cancel.load(Ordering::SeqCst) {
                        stop.store(true, Ordering::SeqCst);
                        return Err(PdfError::Cancelled);
                    }
                }
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        // Workers that saw the flag stopped without a word: the run is not complete.
        if done < areas.len() && cancel.load(Ordering::SeqCst) {
            return Err(PdfError::Cancelled);
        }
        Ok(())
    })?;
    Ok(zip.finish()?)
}
