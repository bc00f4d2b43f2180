//! Peil's domain model — the vocabulary every other crate speaks.
//!
//! This crate does no I/O. It defines geography (levels, items, the hierarchy DAG and
//! version conversions), time (period levels and codes), indicators with all their metadata,
//! cubes, values with their missing codes, and the batches an import hands to the store.
//! Parsers for the small textual formats users type (period codes, numbers, missing-value
//! symbols) live here too, because every boundary needs the same answer.

pub mod access;
pub mod batch;
pub mod cube;
pub mod date;
pub mod formula;
pub mod geo;
pub mod hierarchy;
pub mod indicator;
pub mod period;
pub mod plan;
pub mod problem;
pub mod reader;
pub mod records;
pub mod role;
pub mod text;
pub mod value;

pub use access::{AccessGroup, GUEST};
pub use batch::*;
pub use cube::*;
pub use formula::*;
pub use geo::*;
pub use hierarchy::*;
pub use indicator::*;
pub use period::*;
pub use problem::*;
pub use reader::{Reader, Who};
pub use role::Role;
pub use text::{Locale, fold};
pub use value::*;
