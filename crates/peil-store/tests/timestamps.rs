//! The store's timestamps: written as ISO 8601 in UTC to the second, and read back as the
//! same moment.

use peil_store::{Store, timestamp};
use time::macros::{datetime, format_description};
use time::{OffsetDateTime, PrimitiveDateTime};

fn parse(text: &str) -> OffsetDateTime {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    PrimitiveDateTime::parse(text, &f)
        .unwrap_or_else(|e| panic!("'{text}' is not a store timestamp: {e}"))
        .assume_utc()
}

#[test]
fn written_in_utc_to_the_second() {
    assert_eq!(
        timestamp(datetime!(2026-11-28 15:47:13.9 UTC)),
        "2026-11-28T15:47:13Z"
    );
    // A moment given in another offset is written as the same moment in UTC.
    assert_eq!(
        timestamp(datetime!(2027-01-01 00:30:00 +01:00)),
        "2026-12-31T23:30:00Z"
    );
    assert_eq!(
        timestamp(datetime!(2028-02-29 09:05:01 UTC)),
        "2028-02-29T09:05:01Z"
    );
}

#[test]
fn a_stored_timestamp_reads_back_as_the_moment_it_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("peil.sqlite")).unwrap();
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let id = store.add_api_key("test", "00", &["g".into()]).unwrap();
    store.revoke_api_key(id).unwrap();
    let after = OffsetDateTime::now_utc();
    let key = store.api_keys().unwrap().into_iter().next().unwrap();
    for text in [key.created.as_str(), key.revoked.as_deref().unwrap()] {
        let t = parse(text);
        assert!(
            before <= t && t <= after,
            "{text} is not between {before} and {after}"
        );
        assert_eq!(timestamp(t), text, "round trip");
    }
}
