//! Stories and reports: Markdown with template logic (minijinja: `{% if %}`, `{% for %}`,
//! `{{ … }}`) and data functions, parameterised by an area (`input_geo`) and a comparison area
//! (`input_compare`). A story renders to Markdown plus the figures it embeds; the web shows it
//! as HTML, `peil-report` typesets it as PDF.
//!
//! A story file is Markdown with an optional TOML header between `+++` lines:
//!
//! ```text
//! +++
//! title = "Wijkprofiel"
//! level = "wijk"          # the level of input_geo it is written for
//! compare = "gemeente"    # default comparison: the area's ancestor on this level
//! landscape = false
//! +++
//! # Bevolking
//! {% if has("v1101_t") %}In {{ geo.name }} wonen {{ fmt("v1101_t") }}.{% endif %}
//! {{ chart("v1101_t", "trend") }}
//! ```
//!
//! Data functions (all read public indicators only): `has(ind)`, `name(ind)`, `unit(ind)`,
//! `source(ind)`, `value(ind, area?, period?)`, `fmt(ind, area?, period?)`, `period(ind)`,
//! `number(x, decimals?, unit?)`, `change(ind, offset?, area?)`, `change_value(…)`,
//! `since(…)`, `rank(ind)`, `compared(ind)` (higher / lower / equal against the
//! comparison area), `find([words])` (indicators whose name contains a word), `area(key)`.
//! Survey indicators: `interval(ind, area?, period?)` (`35,8 % – 44,2 %`), `significance(ind,
//! area?, period?)` (`significant hoger dan Stad`, against the indicator's benchmark area) and
//! `survey(ind, area?, period?)` (an object with `lower`, `upper`, `margin`, `confidence`,
//! `significance` = `higher`/`lower`/`not-significant` and `benchmark`, for `{% if %}`); all
//! empty where the value is missing or hidden. Bar charts draw the intervals as whiskers.
//! Figures: `keyfigure(ind, offset?)` (with the change over `offset` periods, default -10),
//! `chart(ind, kind)` with kind `trend` or `bar` (the siblings), `map(ind)` (the area's sub-areas, else its level with the area
//! marked), `table([inds])`. Areas: `geo`, `compare`, `parent`, `region`, `children`.

use crate::data::{Area, Data, format_of, period_name, period_short_name, symbol, text};
use peil_compute::survey::Significance;
use peil_core::{Period, Value};
use peil_render::{
    BarChart, BarMode, Category, Classes, KeyFigure, LineChart, Locale, MapSpec, Method, Series,
    choropleth, palette,
};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// A story as read from its file.
#[derive(Debug, Clone)]
pub struct Story {
    /// The file's name without extension: its address (`/stories/{name}`).
    pub name: String,
    /// Where it came from (for errors).
    pub file: String,
    pub meta: Meta,
    /// The template text (after the header).
    pub body: String,
    /// Lines taken by the header, to report body lines as file lines.
    pub header_lines: usize,
}

/// The header of a story.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The title; may use `{{ geo.name }}`.
    #[serde(default)]
    pub title: String,
    /// The level of the areas the story is written for (default: any).
    #[serde(default)]
    pub level: Option<String>,
    /// Default comparison: the area's ancestor on this level, or `level:code`.
    #[serde(default)]
    pub compare: Option<String>,
    #[serde(default)]
    pub landscape: bool,
    /// A short description for lists.
    #[serde(default)]
    pub description: String,
    /// Part of a pack (the omgevingsanalyse): its order in the pack.
    #[serde(default)]
    pub seq: i64,
}

/// Why a story could not be read or rendered: file, line and reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct StoryError {
    pub file: String,
    pub line: Option<usize>,
    pub reason: String,
}

impl Story {
    /// Reads a story file's text.
    pub fn parse(name: &str, file: &str, text: &str) -> Result<Story, StoryError> {
        let err = |line: Option<usize>, reason: String| StoryError {
            file: file.to_string(),
            line,
            reason,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (meta, body, header_lines) = if let Some(rest) = text.strip_prefix("+++\n") {
            let end = rest
                .find("\n+++\n")
                .or_else(|| rest.strip_suffix("\n+++").map(|r| r.len()))
                .ok_or_else(|| err(Some(1), "the header opened with +++ is never closed".into()))?;
            let header = &rest[..end];
            let meta: Meta = toml::from_str(header).map_err(|e| {
                let line = e
                    .span()
                    .map(|s| header[..s.start].lines().count().max(1) + 1);
                err(line, format!("header: {}", e.message()))
            })?;
            let body = rest.get(end + 5..).unwrap_or("");
            (meta, body.to_string(), header.lines().count() + 2)
        } else {
            (Meta::default(), text.to_string(), 0)
        };
        let story = Story {
            name: name.to_string(),
            file: file.to_string(),
            meta,
            body,
            header_lines,
        };
        // Syntax is checked now, not in front of a reader.
        let env = minijinja::Environment::new();
        env.template_from_str(&story.body)
            .map_err(|e| story.error(&e))?;
        if !story.meta.title.is_empty() {
            env.template_from_str(&story.meta.title).map_err(|e| {
                err(
                    Some(2),
                    format!("title: {}", e.detail().unwrap_or("invalid")),
                )
            })?;
        }
        Ok(story)
    }

    fn error(&self, e: &minijinja::Error) -> StoryError {
        let mut reason = e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string());
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            reason.push_str(&format!(": {s}"));
            src = s.source();
        }
        StoryError {
            file: self.file.clone(),
            line: e.line().map(|l| l + self.header_lines),
            reason,
        }
    }
}

/// A rendered story: Markdown with figures referenced by file name.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub title: String,
    /// The area and its comparison area, for a cover: "Wijk Ververij — vergeleken met …".
    pub subtitle: String,
    pub markdown: String,
    /// (file name, SVG)
    pub figures: Vec<(String, String)>,
    /// Sources of the indicators used.
    pub sources: Vec<String>,
    /// Indicators the story asked for that this site does not have (left out).
    pub missing: Vec<String>,
    pub geo: Area,
    pub compare: Option<Area>,
}

/// One render's state, shared by the template functions.
struct Ctx {
    data: Arc<Data>,
    lang: String,
    locale: Locale,
    geo: Area,
    compare: Option<Area>,
    figures: Mutex<Vec<(String, String)>>,
    used: Mutex<BTreeSet<String>>,
    missing: Mutex<BTreeSet<String>>,
    /// Links from figures to the site's pages (None in PDFs).
    link_base: Option<String>,
}

impl Ctx {
    fn ind(&self, code: &str) -> Option<&peil_core::Indicator> {
        match self.data.indicator(code) {
            Some(i) => {
                self.used.lock().ok()?.insert(code.to_string());
                Some(i)
            }
            None => {
                if let Ok(mut m) = self.missing.lock() {
                    m.insert(code.to_string());
                }
                None
            }
        }
    }

    fn area(&self, a: Option<&minijinja::Value>) -> Option<Area> {
        match a {
            None => Some(self.geo.clone()),
            Some(v) if v.is_none() || v.is_undefined() => Some(self.geo.clone()),
            Some(v) => {
                if let Some(s) = v.as_str() {
                    return Area::parse(s);
                }
                let level = v.get_attr("level").ok()?;
                let code = v.get_attr("code").ok()?;
                Some(Area::new(level.as_str()?, code.as_str()?))
            }
        }
    }

    fn period(&self, ind: &str, a: &Area, p: Option<&str>) -> Option<Period> {
        match p {
            Some(s) if s != "latest" => Period::parse(s).ok(),
            _ => self.data.latest(ind, &a.level),
        }
    }

    fn value(&self, ind: &str, a: &Area, p: Option<&str>) -> Option<(Period, Value)> {
        self.ind(ind)?;
        let p = self.period(ind, a, p)?;
        Some((p, self.data.value(ind, a, p)?))
    }

    fn fmt(&self, ind: &str, v: Value) -> String {
        match self.data.indicator(ind) {
            Some(i) => format_of(i, self.locale).with_unit(v),
            None => String::new(),
        }
    }

    fn figure(&self, svg: String, caption: &str) -> minijinja::Value {
        let Ok(mut f) = self.figures.lock() else {
            return minijinja::Value::from("");
        };
        let name = format!("fig-{}.svg", f.len() + 1);
        f.push((name.clone(), svg));
        let caption = md_escape(caption);
        minijinja::Value::from_safe_string(format!("\n\n![{caption}]({name})\n\n"))
    }

    fn area_value(&self, a: &Area) -> minijinja::Value {
        let name = self.data.area_name(a).unwrap_or_default();
        minijinja::Value::from(minijinja::value::Serde(serde_json::json!({
            "level": a.level,
            "code": a.code,
            "key": a.key(),
            "name": name,
            "level_name": self.data.level_name(&a.level),
            "href": self.link_base.as_ref().map(|b| format!("{b}/area/{}/{}", a.level, a.code)),
        })))
    }
}

/// The comparison area a story uses for an area: the one asked for, else the story's default
/// (an ancestor level or `level:code`), else the area's parent.
pub fn default_compare(data: &Data, story: &Story, geo: &Area) -> Option<Area> {
    match story.meta.compare.as_deref() {
        Some(s) if s.contains(':') => Area::parse(s).filter(|a| data.exists(a)),
        Some(level) => data.ancestor_on(geo, level),
        None => data.ancestors(geo).into_iter().next(),
    }
}

/// Renders a story for an area. `link_base` makes figures and names link to the site's
/// pages (web); `None` for PDFs.
pub fn render(
    data: &Arc<Data>,
    story: &Story,
    geo: &Area,
    compare: Option<&Area>,
    lang: &str,
    link_base: Option<&str>,
) -> Result<Rendered, StoryError> {
    if !data.exists(geo) {
        return Err(StoryError {
            file: story.file.clone(),
            line: None,
            reason: format!("no area {} on level {}", geo.code, geo.level),
        });
    }
    let compare = compare
        .cloned()
        .filter(|c| data.exists(c))
        .or_else(|| default_compare(data, story, geo));
    let ctx = Arc::new(Ctx {
        data: data.clone(),
        lang: lang.to_string(),
        locale: Locale::parse(lang).unwrap_or(Locale::Nl),
        geo: geo.clone(),
        compare: compare.clone(),
        figures: Mutex::new(Vec::new()),
        used: Mutex::new(BTreeSet::new()),
        missing: Mutex::new(BTreeSet::new()),
        link_base: link_base.map(str::to_string),
    });
    let env = environment(&ctx);
    let mut vars: HashMap<&str, minijinja::Value> = HashMap::new();
    vars.insert("geo", ctx.area_value(geo));
    vars.insert("input_geo", minijinja::Value::from(geo.key()));
    // Areas a story may test for (`{% if compare %}`) are always defined, as none when
    // the site has no such area.
    let none = minijinja::Value::from(());
    let ancestors = data.ancestors(geo);
    vars.insert(
        "compare",
        compare.as_ref().map_or(none.clone(), |c| ctx.area_value(c)),
    );
    vars.insert(
        "input_compare",
        compare
            .as_ref()
            .map_or(none.clone(), |c| minijinja::Value::from(c.key())),
    );
    vars.insert(
        "parent",
        ancestors
            .first()
            .map_or(none.clone(), |p| ctx.area_value(p)),
    );
    vars.insert(
        "region",
        ancestors.last().map_or(none, |r| ctx.area_value(r)),
    );
    vars.insert(
        "children",
        minijinja::Value::from(
            data.children(geo)
                .iter()
                .map(|c| ctx.area_value(c))
                .collect::<Vec<_>>(),
        ),
    );
    vars.insert("lang", minijinja::Value::from(lang));
    let body = env
        .render_str(&story.body, &vars)
        .map_err(|e| story.error(&e))?;
    let title = if story.meta.title.is_empty() {
        data.area_name(geo).unwrap_or_default()
    } else {
        env.render_str(&story.meta.title, &vars)
            .map_err(|e| story.error(&e))?
    };
    let figures = std::mem::take(&mut *ctx.figures.lock().unwrap_or_else(|p| p.into_inner()));
    let used = ctx.used.lock().map(|u| u.clone()).unwrap_or_default();
    let mut sources: Vec<String> = used
        .iter()
        .filter_map(|c| data.indicator(c))
        .filter(|i| !i.source.is_empty())
        .map(|i| format!("{}: {}", text(&i.name, lang), i.source))
        .collect();
    sources.sort();
    sources.dedup();
    let missing = ctx
        .missing
        .lock()
        .map(|m| m.iter().cloned().collect())
        .unwrap_or_default();
    let subtitle = match &compare {
        Some(c) => format!(
            "{} ({}) — {} {}",
            data.area_name(geo).unwrap_or_default(),
            data.level_name(&geo.level),
            match lang {
                "en" => "compared with",
                "fr" => "comparé à",
                _ => "vergeleken met",
            },
            data.area_name(c).unwrap_or_default()
        ),
        None => format!(
            "{} ({})",
            data.area_name(geo).unwrap_or_default(),
            data.level_name(&geo.level)
        ),
    };
    Ok(Rendered {
        title,
        subtitle,
        markdown: tidy(&body),
        figures,
        sources,
        missing,
        geo: geo.clone(),
        compare,
    })
}

/// Checks a story: its syntax (at parse time) and a render for one area of its level, so an
/// unknown function or a wrong argument is found when the site is checked.
pub fn check(data: &Arc<Data>, story: &Story) -> Result<(), StoryError> {
    let level = story.meta.level.clone().or_else(|| {
        data.snap
            .levels
            .iter()
            .find(|l| l.items.len() > 1)
            .map(|l| l.level.code.clone())
    });
    let Some(level) = level else { return Ok(()) };
    if data.level_index(&level).is_none() {
        return Err(StoryError {
            file: story.file.clone(),
            line: Some(2),
            reason: format!("level '{level}' does not exist on this site"),
        });
    }
    if let Some(a) = data.areas(&level).first() {
        render(data, story, a, None, "nl", None)?;
    }
    Ok(())
}

/// Text from data made safe to put into Markdown: every character with a meaning in
/// Markdown is backslash-escaped (CommonMark shows an escaped punctuation character as
/// itself) and line breaks become spaces, so data can never start a heading, list, link,
/// image, table cell or HTML block.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '|' | '~' | '&' | '#' | '('
            | ')' | '{' | '}' | '+' | '-' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Blank-line runs from template logic collapse to one.
fn tidy(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut blank = 0;
    for line in md.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
            out.push('\n');
        } else {
            blank = 0;
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim().to_string() + "\n"
}

type V = minijinja::Value;

/// A number a template prints without a format: the human rule
/// ([`peil_core::value::human_number`]) in the story's language, with the decimals the number
/// has (at most six, trailing zeros dropped): `12 345,5`, never `12345.5` or `-0.0`.
fn printed_number(x: f64, locale: Locale) -> String {
    let decimals = if x.is_finite() {
        let (digits, exp) = peil_core::value::shortest_digits(x.abs());
        (digits.len() as i64 - 1 - exp).clamp(0, 6) as usize
    } else {
        0
    };
    let mut s = peil_core::value::human_number(x, decimals, locale);
    // Rounded to six decimals, float noise leaves zeros behind (0.1 + 0.2 is 0.3).
    if decimals > 0 {
        let kept = s.trim_end_matches('0').len();
        s.truncate(kept);
        if s.ends_with(locale.decimal_mark()) {
            s.pop();
        }
    }
    s
}
type R = Result<V, minijinja::Error>;

/// The names of the functions a template may call, read from the environment `render` builds
/// (less minijinja's own, such as `range`), sorted: the one list of them, which the
/// handbook's reference is checked against.
pub fn functions() -> Vec<String> {
    // The functions need a publication to read: an empty one will do.
    let w = peil_core::Warehouse::default();
    let Ok(computed) = peil_compute::engine::compute(&w) else {
        return Vec::new();
    };
    let snap = peil_compute::Snapshot::from_computed(computed, &w, 0, false);
    let ctx = Arc::new(Ctx {
        data: Arc::new(Data::new(Arc::new(snap), Vec::new())),
        lang: "nl".into(),
        locale: Locale::Nl,
        geo: Area::new("", ""),
        compare: None,
        figures: Mutex::new(Vec::new()),
        used: Mutex::new(BTreeSet::new()),
        missing: Mutex::new(BTreeSet::new()),
        link_base: None,
    });
    let builtin: BTreeSet<String> = minijinja::Environment::new()
        .globals()
        .map(|(n, _)| n.to_string())
        .collect();
    let mut names: Vec<String> = environment(&ctx)
        .globals()
        .map(|(n, _)| n.to_string())
        .filter(|n| !builtin.contains(n))
        .collect();
    names.sort();
    names
}

fn environment(ctx: &Arc<Ctx>) -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // What an expression prints is data (names, units, sources, area names) and lands in
    // Markdown: it is escaped so that a name like `[x](javascript:…)` or `**` stays text.
    // Figures, tables and macros are built here as Markdown and marked safe. A number
    // printed as it is (`{{ value("x") }}`) is written for people, like every other number.
    let locale = ctx.locale;
    env.set_formatter(move |out, state, value| match value.as_str() {
        Some(s) if !value.is_safe() => out.write_str(&md_escape(s)).map_err(Into::into),
        _ if value.kind() == minijinja::value::ValueKind::Number => {
            let x = f64::try_from(value.clone()).unwrap_or(f64::NAN);
            out.write_str(&printed_number(x, locale))
                .map_err(Into::into)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    let c = ctx.clone();
    env.add_function("has", move |ind: &str, area: Option<V>| -> bool {
        let Some(a) = c.area(area.as_ref()) else {
            return false;
        };
        c.value(ind, &a, None)
            .is_some_and(|(_, v)| v.number().is_some())
    });
    let c = ctx.clone();
    env.add_function("name", move |ind: &str| -> String {
        c.ind(ind)
            .map(|i| text(&i.name, &c.lang))
            .unwrap_or_default()
    });
    let c = ctx.clone();
    env.add_function("unit", move |ind: &str| -> String {
        c.ind(ind).map(|i| i.unit.clone()).unwrap_or_default()
    });
    let c = ctx.clone();
    env.add_function("source", move |ind: &str| -> String {
        c.ind(ind).map(|i| i.source.clone()).unwrap_or_default()
    });
    let c = ctx.clone();
    env.add_function(
        "value",
        move |ind: &str, area: Option<V>, period: Option<String>| -> V {
            let Some(a) = c.area(area.as_ref()) else {
                return V::from(());
            };
            match c
                .value(ind, &a, period.as_deref())
                .and_then(|(_, v)| v.number())
            {
                Some(x) => V::from(x),
                None => V::from(()),
            }
        },
    );
    let c = ctx.clone();
    env.add_function(
        "fmt",
        move |ind: &str, area: Option<V>, period: Option<String>| -> String {
            let Some(a) = c.area(area.as_ref()) else {
                return String::new();
            };
            match c.value(ind, &a, period.as_deref()) {
                Some((_, v)) => c.fmt(ind, v),
                None => String::new(),
            }
        },
    );
    let c = ctx.clone();
    env.add_function(
        "number",
        move |x: f64, decimals: Option<u8>, unit: Option<String>| -> String {
            peil_render::NumberFormat::new(
                decimals.unwrap_or(0),
                unit.as_deref().unwrap_or(""),
                c.locale,
            )
            .with_unit(Value::Number(x))
        },
    );
    let c = ctx.clone();
    env.add_function("period", move |ind: &str, area: Option<V>| -> String {
        let Some(a) = c.area(area.as_ref()) else {
            return String::new();
        };
        c.ind(ind)
            .and_then(|_| c.data.latest(ind, &a.level))
            .map(|p| period_name(p, &c.lang))
            .unwrap_or_default()
    });
    let c = ctx.clone();
    env.add_function(
        "change",
        move |ind: &str, offset: Option<i64>, area: Option<V>| -> String {
            let Some(a) = c.area(area.as_ref()) else {
                return String::new();
            };
            change(&c, ind, &a, offset.unwrap_or(-10))
                .map(|(s, _, _)| s)
                .unwrap_or_default()
        },
    );
    let c = ctx.clone();
    env.add_function(
        "change_value",
        move |ind: &str, offset: Option<i64>, area: Option<V>| -> V {
            let Some(a) = c.area(area.as_ref()) else {
                return V::from(());
            };
            change(&c, ind, &a, offset.unwrap_or(-10))
                .map(|(_, d, _)| V::from(d))
                .unwrap_or(V::from(()))
        },
    );
    let c = ctx.clone();
    env.add_function(
        "since",
        move |ind: &str, offset: Option<i64>, area: Option<V>| -> String {
            let Some(a) = c.area(area.as_ref()) else {
                return String::new();
            };
            change(&c, ind, &a, offset.unwrap_or(-10))
                .map(|(_, _, p)| p)
                .unwrap_or_default()
        },
    );
    let c = ctx.clone();
    env.add_function("rank", move |ind: &str, area: Option<V>| -> String {
        let Some(a) = c.area(area.as_ref()) else {
            return String::new();
        };
        rank(&c, ind, &a)
            .map(|(r, n)| format!("{r} {} {n}", word(&c.lang, "of")))
            .unwrap_or_default()
    });
    let c = ctx.clone();
    env.add_function("compared", move |ind: &str| -> String {
        let Some(cmp) = c.compare.clone() else {
            return String::new();
        };
        let (Some((_, a)), Some((_, b))) = (c.value(ind, &c.geo, None), c.value(ind, &cmp, None))
        else {
            return String::new();
        };
        match (a.number(), b.number()) {
            (Some(x), Some(y)) if (x - y).abs() <= 1e-9 * y.abs().max(1.0) => {
                word(&c.lang, "equal").into()
            }
            (Some(x), Some(y)) if x > y => word(&c.lang, "higher").into(),
            (Some(_), Some(_)) => word(&c.lang, "lower").into(),
            _ => String::new(),
        }
    });
    let c = ctx.clone();
    env.add_function(
        "interval",
        move |ind: &str, area: Option<V>, period: Option<String>| -> String {
            survey_of(&c, ind, area.as_ref(), period.as_deref())
                .map(|(_, cell)| interval_text(&c, ind, &cell))
                .unwrap_or_default()
        },
    );
    let c = ctx.clone();
    env.add_function(
        "significance",
        move |ind: &str, area: Option<V>, period: Option<String>| -> String {
            survey_of(&c, ind, area.as_ref(), period.as_deref())
                .and_then(|(_, cell)| verdict_text(&c, &cell))
                .unwrap_or_default()
        },
    );
    let c = ctx.clone();
    env.add_function(
        "survey",
        move |ind: &str, area: Option<V>, period: Option<String>| -> V {
            let Some((i, cell)) = survey_of(&c, ind, area.as_ref(), period.as_deref()) else {
                return V::from(());
            };
            let bench = cell.benchmark.and_then(|b| c.data.snap.area_at(b));
            V::from(minijinja::value::Serde(serde_json::json!({
                "lower": cell.interval.low,
                "upper": cell.interval.high,
                "margin": cell.interval.margin,
                "confidence": i.confidence_level(),
                "significance": cell.significance.map(|s| s.code()),
                "benchmark": bench.map(|(l, it)| serde_json::json!({
                    "key": format!("{l}:{}", it.code), "name": it.name,
                })),
                "text": interval_text(&c, ind, &cell),
                "verdict": verdict_text(&c, &cell),
            })))
        },
    );
    let c = ctx.clone();
    env.add_function("find", move |words: Vec<String>| -> Vec<String> {
        let found = c.data.find(&words, &c.geo.level);
        if let Ok(mut u) = c.used.lock() {
            u.extend(found.iter().cloned());
        }
        found
    });
    let c = ctx.clone();
    env.add_function("area", move |key: &str| -> V {
        match Area::parse(key).filter(|a| c.data.exists(a)) {
            Some(a) => c.area_value(&a),
            None => V::from(()),
        }
    });
    let c = ctx.clone();
    env.add_function("keyfigure", move |ind: &str, offset: Option<i64>| -> V {
        let Some(i) = c.ind(ind) else {
            return V::from("");
        };
        let Some((p, v)) = c.value(ind, &c.geo, None) else {
            return V::from("");
        };
        let same: Vec<Period> = c
            .data
            .periods(ind, &c.geo.level)
            .into_iter()
            .filter(|q| q.level == p.level)
            .collect();
        let trend = same
            .iter()
            .map(|q| {
                c.data
                    .value(ind, &c.geo, *q)
                    .unwrap_or(Value::Missing(peil_core::MissingCode::Empty))
            })
            .collect();
        let comparison = c
            .compare
            .as_ref()
            .and_then(|cmp| Some((c.data.area_name(cmp)?, c.data.value(ind, cmp, p)?)));
        let ch = change(&c, ind, &c.geo, offset.unwrap_or(-10)).map(|(_, d, since)| {
            (
                format!("{} {since}", word(&c.lang, "since")),
                Value::Number(d),
            )
        });
        // A survey figure: its interval and, when it differs significantly, the verdict.
        let cell = c.data.survey(ind, &c.geo, p);
        let interval = cell.map(|cell| {
            (
                format!(
                    "{} ({}\u{a0}%)",
                    word(&c.lang, "interval"),
                    i.confidence_level()
                ),
                interval_text(&c, ind, &cell),
            )
        });
        let verdict = cell
            .filter(|cell| {
                matches!(
                    cell.significance,
                    Some(Significance::Higher | Significance::Lower)
                )
            })
            .and_then(|cell| verdict_text(&c, &cell));
        let fig = KeyFigure {
            id: format!("kf-{ind}"),
            title: text(&i.name, &c.lang),
            value: v,
            format: format_of(i, c.locale),
            period: format!(
                "{}, {}",
                c.data.area_name(&c.geo).unwrap_or_default(),
                period_name(p, &c.lang)
            ),
            comparison,
            change: ch,
            trend,
            interval,
            verdict,
        };
        c.figure(fig.svg(), &text(&i.name, &c.lang))
    });
    let c = ctx.clone();
    env.add_function("chart", move |ind: &str, kind: Option<String>| -> R {
        let kind = kind.unwrap_or_else(|| "trend".into());
        let svg = match kind.as_str() {
            "trend" => trend_chart(&c, ind),
            "bar" => bar_chart(&c, ind),
            other => {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("chart kind '{other}' is not one of trend, bar"),
                ));
            }
        };
        Ok(match svg {
            Some((svg, caption)) => c.figure(svg, &caption),
            None => V::from(""),
        })
    });
    let c = ctx.clone();
    env.add_function("map", move |ind: &str| -> V {
        match map_figure(&c, ind) {
            Some((svg, caption)) => c.figure(svg, &caption),
            None => V::from(""),
        }
    });
    let c = ctx.clone();
    env.add_function("table", move |inds: Vec<String>| -> V {
        V::from_safe_string(table(&c, &inds))
    });
    env
}

/// (formatted signed change, change, name of the earlier period) over `offset` periods.
fn change(c: &Ctx, ind: &str, a: &Area, offset: i64) -> Option<(String, f64, String)> {
    let (p, v) = c.value(ind, a, None)?;
    let q = p.offset(offset)?;
    let earlier = c.data.value(ind, a, q)?.number()?;
    let d = v.number()? - earlier;
    let i = c.data.indicator(ind)?;
    let f = format_of(i, c.locale);
    let sign = if d > 0.0 { "+" } else { "" };
    Some((
        format!("{sign}{}", f.with_unit(Value::Number(d))),
        d,
        period_name(q, &c.lang),
    ))
}

/// A survey indicator's cell for an area (the story's area by default) in a period (the
/// latest by default), with the indicator.
fn survey_of<'a>(
    c: &'a Ctx,
    ind: &str,
    area: Option<&minijinja::Value>,
    period: Option<&str>,
) -> Option<(&'a peil_core::Indicator, peil_compute::survey::Cell)> {
    let a = c.area(area)?;
    let i = c.ind(ind)?;
    let p = c.period(ind, &a, period)?;
    Some((i, c.data.survey(ind, &a, p)?))
}

fn interval_text(c: &Ctx, ind: &str, cell: &peil_compute::survey::Cell) -> String {
    format!(
        "{} – {}",
        c.fmt(ind, Value::Number(cell.interval.low)),
        c.fmt(ind, Value::Number(cell.interval.high))
    )
}

fn verdict_text(c: &Ctx, cell: &peil_compute::survey::Cell) -> Option<String> {
    let key = match cell.significance? {
        Significance::Higher => "sig_higher",
        Significance::Lower => "sig_lower",
        Significance::NotSignificant => "sig_none",
    };
    let (_, bench) = c.data.snap.area_at(cell.benchmark?)?;
    Some(format!("{} {}", word(&c.lang, key), bench.name))
}

/// Rank among the siblings (1 = highest) and their number.
fn rank(c: &Ctx, ind: &str, a: &Area) -> Option<(usize, usize)> {
    let (p, v) = c.value(ind, a, None)?;
    let x = v.number()?;
    let sib: Vec<f64> = c
        .data
        .siblings(a)
        .iter()
        .filter_map(|s| c.data.value(ind, s, p)?.number())
        .collect();
    Some((sib.iter().filter(|y| **y > x).count() + 1, sib.len()))
}

fn word(lang: &str, key: &str) -> &'static str {
    match (key, lang) {
        ("of", "en") => "of",
        ("of", "fr") => "sur",
        ("of", _) => "van",
        ("interval", "fr") => "Intervalle",
        ("interval", _) => "Interval",
        ("since", "en") => "since",
        ("since", "fr") => "depuis",
        ("since", _) => "sinds",
        ("higher", "en") => "higher than",
        ("higher", "fr") => "plus élevé que",
        ("higher", _) => "hoger dan",
        ("lower", "en") => "lower than",
        ("lower", "fr") => "plus bas que",
        ("lower", _) => "lager dan",
        ("sig_higher", "en") => "significantly higher than",
        ("sig_higher", "fr") => "significativement plus élevé que",
        ("sig_higher", _) => "significant hoger dan",
        ("sig_lower", "en") => "significantly lower than",
        ("sig_lower", "fr") => "significativement plus bas que",
        ("sig_lower", _) => "significant lager dan",
        ("sig_none", "en") => "not significantly different from",
        ("sig_none", "fr") => "pas significativement différent de",
        ("sig_none", _) => "niet significant verschillend van",
        ("equal", "en") => "equal to",
        ("equal", "fr") => "égal à",
        ("equal", _) => "gelijk aan",
        ("area", "en") => "Area",
        ("area", "fr") => "Zone",
        ("area", _) => "Gebied",
        ("indicator", "fr") => "Indicateur",
        ("indicator", _) => "Indicator",
        _ => "",
    }
}

fn trend_chart(c: &Ctx, ind: &str) -> Option<(String, String)> {
    let i = c.ind(ind)?;
    let (p, _) = c.value(ind, &c.geo, None)?;
    let ps: Vec<Period> = c
        .data
        .periods(ind, &c.geo.level)
        .into_iter()
        .filter(|q| q.level == p.level)
        .collect();
    if ps.len() < 2 {
        return None;
    }
    let mut lines = vec![(
        Some(c.geo.code.clone()),
        Series {
            name: c.data.area_name(&c.geo).unwrap_or_default(),
            values: ps
                .iter()
                .map(|q| {
                    c.data
                        .value(ind, &c.geo, *q)
                        .unwrap_or(Value::Missing(peil_core::MissingCode::Empty))
                })
                .collect(),
        },
    )];
    let comparable = matches!(
        i.data_type,
        peil_core::DataType::Percentage | peil_core::DataType::Mean | peil_core::DataType::Ratio
    );
    if comparable && let Some(cmp) = &c.compare {
        lines.push((
            None,
            Series {
                name: c.data.area_name(cmp).unwrap_or_default(),
                values: ps
                    .iter()
                    .map(|q| {
                        c.data
                            .value(ind, cmp, *q)
                            .unwrap_or(Value::Missing(peil_core::MissingCode::Empty))
                    })
                    .collect(),
            },
        ));
    }
    let name = text(&i.name, &c.lang);
    let caption = format!(
        "{name}, {}–{}",
        period_name(ps[0], &c.lang),
        period_name(*ps.last()?, &c.lang)
    );
    let chart = LineChart {
        id: format!("trend-{ind}"),
        title: caption.clone(),
        description: caption.clone(),
        x_labels: ps.iter().map(|q| period_short_name(*q, &c.lang)).collect(),
        series: lines,
        format: format_of(i, c.locale),
        width: 640.0,
        height: 260.0,
    };
    Some((chart.svg(), caption))
}

fn bar_chart(c: &Ctx, ind: &str) -> Option<(String, String)> {
    let i = c.ind(ind)?;
    let (p, _) = c.value(ind, &c.geo, None)?;
    let mut sib: Vec<(Area, Value)> = c
        .data
        .siblings(&c.geo)
        .into_iter()
        .filter_map(|s| {
            let v = c.data.value(ind, &s, p)?;
            Some((s, v))
        })
        .collect();
    sib.sort_by(|a, b| {
        b.1.number()
            .unwrap_or(f64::MIN)
            .total_cmp(&a.1.number().unwrap_or(f64::MIN))
    });
    if sib.len() > 40 {
        // The area among the 40 highest and lowest is enough to see its place.
        let pos = sib.iter().position(|(a, _)| *a == c.geo).unwrap_or(0);
        let keep: Vec<(Area, Value)> = sib
            .iter()
            .enumerate()
            .filter(|(k, _)| *k < 15 || *k + 15 >= sib.len() || (*k as i64 - pos as i64).abs() <= 4)
            .map(|(_, x)| x.clone())
            .collect();
        sib = keep;
    }
    let name = text(&i.name, &c.lang);
    let caption = format!("{name}, {}", period_name(p, &c.lang));
    let comparable = matches!(
        i.data_type,
        peil_core::DataType::Percentage | peil_core::DataType::Mean | peil_core::DataType::Ratio
    );
    let chart = BarChart {
        id: format!("bar-{ind}"),
        title: caption.clone(),
        description: caption.clone(),
        categories: sib
            .iter()
            .map(|(a, _)| Category {
                code: Some(a.code.clone()),
                label: c.data.area_name(a).unwrap_or_default(),
            })
            .collect(),
        series: vec![Series {
            name: name.clone(),
            values: sib.iter().map(|(_, v)| *v).collect(),
        }],
        mode: BarMode::Single,
        horizontal: true,
        format: format_of(i, c.locale),
        highlight: vec![c.geo.code.clone()],
        reference: match (&c.compare, comparable) {
            (Some(cmp), true) => c
                .data
                .value(ind, cmp, p)
                .and_then(|v| v.number())
                .map(|x| vec![(c.data.area_name(cmp).unwrap_or_default(), x)])
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        width: 640.0,
        intervals: sib
            .iter()
            .map(|(a, _)| {
                c.data
                    .survey(ind, a, p)
                    .map(|s| (s.interval.low, s.interval.high))
            })
            .collect(),
    };
    Some((chart.svg(), caption))
}

/// The area's sub-areas on a map, else its level with the area marked.
fn map_figure(c: &Ctx, ind: &str) -> Option<(String, String)> {
    let i = c.ind(ind)?;
    let kids = c.data.children(&c.geo);
    let (level, selected) = match kids.first() {
        Some(k)
            if c.data.layer(&k.level).is_some() && !c.data.periods(ind, &k.level).is_empty() =>
        {
            (k.level.clone(), Vec::new())
        }
        _ => (c.geo.level.clone(), vec![c.geo.code.clone()]),
    };
    let layer = c.data.layer(&level)?;
    let p = c.data.latest(ind, &level)?;
    let wanted: Option<BTreeSet<&str>> =
        (selected.is_empty()).then(|| kids.iter().map(|k| k.code.as_str()).collect());
    let values: HashMap<String, Value> = c
        .data
        .areas(&level)
        .into_iter()
        .filter(|a| wanted.as_ref().is_none_or(|w| w.contains(a.code.as_str())))
        .filter_map(|a| Some((a.code.clone(), c.data.value(ind, &a, p)?)))
        .collect();
    let nums: Vec<f64> = values.values().filter_map(|v| v.number()).collect();
    // A survey figure's interval and verdict in each area's tooltip.
    let notes: HashMap<String, String> = values
        .keys()
        .filter_map(|code| {
            let cell = c.data.survey(ind, &Area::new(&level, code), p)?;
            let mut note = format!(
                "{} ({}\u{a0}%): {}",
                word(&c.lang, "interval"),
                i.confidence_level(),
                interval_text(c, ind, &cell)
            );
            if let Some(v) = verdict_text(c, &cell) {
                note.push_str("; ");
                note.push_str(&v);
            }
            Some((code.clone(), note))
        })
        .collect();
    let classes = Classes::new(&nums, &Method::MeanStdDev, 5);
    let colours = palette::sequential(classes.len().max(1));
    let view = match &wanted {
        Some(w) => layer.bbox_of(&w.iter().copied().collect::<Vec<_>>()),
        None => None,
    };
    let name = text(&i.name, &c.lang);
    let caption = format!(
        "{name}, {} ({})",
        period_name(p, &c.lang),
        c.data.level_name(&level)
    );
    let fmt = format_of(i, c.locale);
    let href = c
        .link_base
        .as_ref()
        .map(|b| format!("{b}/area/{level}/{{code}}"));
    let svg = choropleth(&MapSpec {
        id: &format!("map-{ind}"),
        title: &caption,
        description: &caption,
        layer: &layer,
        values: peil_render::MapValues::ByCode(&values),
        format: &fmt,
        classes: &classes,
        palette: &colours,
        selected: &selected,
        href: href.as_deref(),
        view,
        legend: true,
        legend_title: &name,
        notes: (!notes.is_empty()).then_some(&notes),
        sprite: None,
    });
    Some((svg, caption))
}

/// A Markdown table: one row per indicator, columns the area, its comparison area and region.
fn table(c: &Ctx, inds: &[String]) -> String {
    let mut cols: Vec<Area> = vec![c.geo.clone()];
    if let Some(cmp) = &c.compare {
        cols.push(cmp.clone());
    }
    if let Some(r) = c.data.ancestors(&c.geo).last()
        && !cols.contains(r)
    {
        cols.push(r.clone());
    }
    let mut out = format!("| {} |", word(&c.lang, "indicator"));
    for a in &cols {
        out.push_str(&format!(
            " {} |",
            md_escape(&c.data.area_name(a).unwrap_or_default())
        ));
    }
    out.push_str("\n|---|");
    for _ in &cols {
        out.push_str("---:|");
    }
    out.push('\n');
    let mut rows = 0;
    for ind in inds {
        let Some(i) = c.ind(ind) else { continue };
        let Some((p, _)) = c.value(ind, &c.geo, None) else {
            continue;
        };
        out.push_str(&format!(
            "| {} ({}) |",
            md_escape(&text(&i.name, &c.lang)),
            md_escape(&period_name(p, &c.lang))
        ));
        for a in &cols {
            let v = c.data.value(ind, a, p);
            let mut s = match v {
                Some(v) => symbol(v)
                    .map(str::to_string)
                    .unwrap_or_else(|| c.fmt(ind, v)),
                None => String::new(),
            };
            // A survey figure carries its interval.
            if let Some(cell) = c.data.survey(ind, a, p) {
                s = format!("{s} ({})", interval_text(c, ind, &cell));
            }
            out.push_str(&format!(" {} |", md_escape(&s)));
        }
        out.push('\n');
        rows += 1;
    }
    if rows == 0 {
        return String::new();
    }
    format!("\n\n{out}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_functions_are_the_ones_registered() {
        let f = functions();
        for name in ["has", "fmt", "keyfigure", "table", "survey"] {
            assert!(f.iter().any(|x| x == name), "{f:?}");
        }
        assert!(!f.iter().any(|x| x == "range"), "minijinja's own: {f:?}");
    }

    #[test]
    fn numbers_printed_by_templates_are_written_for_people() {
        for (x, l, want) in [
            (12345.5, Locale::Nl, "12\u{202f}345,5"),
            (12345.5, Locale::En, "12,345.5"),
            (3.0, Locale::Fr, "3"),
            (-0.0, Locale::Nl, "0"),
            (-2.25, Locale::Nl, "\u{2212}2,25"),
            (0.1 + 0.2, Locale::En, "0.3"),
        ] {
            assert_eq!(printed_number(x, l), want, "{x} {l:?}");
        }
    }
}
