//! System query options: `$filter`, `$orderby`, `$select`, `$top`, `$skip`, `$count`.

use super::*;

/// Parsed system query options.
#[derive(Default)]
pub(super) struct Options {
    pub(super) filter: Option<filter::Expr>,
    pub(super) orderby: Vec<(String, bool)>,
    pub(super) select: Option<Vec<String>>,
    pub(super) top: Option<usize>,
    pub(super) skip: usize,
    pub(super) count: bool,
}

pub(super) fn parse_options(
    pairs: &[(String, String)],
    t: &EntityType,
) -> Result<Options, Problem> {
    let mut o = Options::default();
    let mut seen = HashSet::new();
    let prop_names = || t.props.iter().map(|p| p.0).collect::<Vec<_>>().join(", ");
    let check_prop = |p: &str, opt: &str| -> Result<String, Problem> {
        if t.props.iter().any(|(n, _)| *n == p) {
            Ok(p.to_string())
        } else {
            Err(Problem::bad_request(format!(
                "{opt}: {} has no property '{p}' (properties: {})",
                t.name,
                prop_names()
            )))
        }
    };
    for (k, v) in pairs {
        if !k.starts_with('$') {
            continue;
        }
        let name = k.to_ascii_lowercase();
        if !seen.insert(name.clone()) {
            return Err(Problem::bad_request(format!("{k} is given more than once")));
        }
        let num = |what: &str| -> Result<usize, Problem> {
            v.trim().parse::<usize>().map_err(|_| {
                Problem::bad_request(format!(
                    "{what} must be a whole number of 0 or more, not '{v}'"
                ))
            })
        };
        match name.as_str() {
            "$filter" => {
                o.filter = Some(
                    filter::parse(v, t.props)
                        .map_err(|e| Problem::bad_request(format!("$filter: {e}")))?,
                );
            }
            "$orderby" => {
                for part in v.split(',') {
                    let mut w = part.split_whitespace();
                    let Some(p) = w.next() else {
                        return Err(Problem::bad_request(format!(
                            "$orderby: empty item in '{v}'"
                        )));
                    };
                    let p = check_prop(p, "$orderby")?;
                    let desc = match w.next().map(|d| d.to_ascii_lowercase()) {
                        None => false,
                        Some(d) if d == "asc" => false,
                        Some(d) if d == "desc" => true,
                        Some(d) => {
                            return Err(Problem::bad_request(format!(
                                "$orderby: '{d}' after {p} must be asc or desc"
                            )));
                        }
                    };
                    if let Some(extra) = w.next() {
                        return Err(Problem::bad_request(format!(
                            "$orderby: unexpected '{extra}' (separate properties with commas)"
                        )));
                    }
                    o.orderby.push((p, desc));
                }
            }
            "$select" => {
                if v.trim() == "*" {
                    continue;
                }
                let mut sel = Vec::new();
                for p in v.split(',') {
                    let p = p.trim();
                    if p.is_empty() {
                        return Err(Problem::bad_request(format!(
                            "$select: empty item in '{v}'"
                        )));
                    }
                    sel.push(check_prop(p, "$select")?);
                }
                o.select = Some(sel);
            }
            "$top" => o.top = Some(num("$top")?),
            "$skip" => o.skip = num("$skip")?,
            "$count" => {
                o.count = match v.trim() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(Problem::bad_request(format!(
                            "$count must be true or false, not '{v}'"
                        )));
                    }
                }
            }
            "$format" => {
                let f = v.trim().to_ascii_lowercase();
                if f != "json" && !f.starts_with("application/json") {
                    return Err(Problem::bad_request(format!(
                        "$format: only json is served, not '{v}'"
                    )));
                }
            }
            "$skiptoken" => o.skip = num("$skiptoken")?,
            _ => {
                return Err(Problem::bad_request(format!(
                    "the query option {k} is not supported (supported: $filter, $orderby, $select, $top, $skip, $count, $format)"
                )));
            }
        }
    }
    Ok(o)
}
