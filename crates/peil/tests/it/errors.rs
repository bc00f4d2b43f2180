//! One error type for the whole server: an unknown code answers the same RFC 9457 problem —
//! documented type, status, detail, suggestions — from the native API, Swing's OData service
//! and the selection table; OData and selection-table answers add OData's own error object
//! (`{"error": {"code", "message"}}`, `OData-Version: 4.0`) that Swing's clients read.

use crate::common::*;

#[test]
fn an_unknown_code_is_the_same_problem_on_every_api() {
    let s = Server::demo();
    let asks = [
        ("/api/v1/data?indicator=v1101_x&level=wijk", false),
        ("/jiveservices/odata/Variables(%27v1101_x%27)", true),
        (
            "/jive/selectiontableasjson.ashx?var=v1101_x&geolevel=wijk",
            true,
        ),
    ];
    for (path, odata) in asks {
        let r = s.get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{path}"
        );
        let j = r.json();
        assert_eq!(
            j["type"], "/api/v1/docs#problem-unknown-code",
            "{path}: {j}"
        );
        assert_eq!(j["title"], "Not found", "{path}");
        assert_eq!(j["status"], 404, "{path}");
        assert_eq!(j["code"], "v1101_x", "{path}: {j}");
        let suggestions: Vec<&str> = j["suggestions"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {j}"))
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert!(suggestions.contains(&"v1101_t"), "{path}: {j}");
        let detail = j["detail"].as_str().unwrap();
        assert!(
            detail.contains("'v1101_x'") && detail.contains("did you mean"),
            "{path}: {detail}"
        );
        if odata {
            assert_eq!(j["error"]["code"], "404", "{path}");
            assert_eq!(j["error"]["message"], detail, "{path}");
            assert_eq!(r.headers["odata-version"], "4.0", "{path}");
        } else {
            assert!(j.get("error").is_none(), "{path}: {j}");
        }
    }
}
