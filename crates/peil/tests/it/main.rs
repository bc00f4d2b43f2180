//! The integration tests of `peil`: the real binary (`CARGO_BIN_EXE_peil`) on real files, a
//! real server on a loopback port, real clients. One test binary with a module per subject,
//! so the stack is linked once rather than once per file; `common` holds the helpers.
//!
//! Run one subject with its module path: `cargo test -p peil --test it -- trust::`.
//! Tests run in parallel threads of this one process: a test keeps its state in its own
//! temporary site and server process, never in the environment or the working directory.

#[macro_use]
mod common;

mod admin;
mod admin_content;
mod admin_metadata;
mod admin_themes;
mod api;
mod api_clients;
mod backup;
mod bad_input;
mod browser;
mod clusters;
mod compute_flanders;
mod connector;
mod crash;
mod dcat;
mod demo;
mod deploy;
mod engine_rules;
mod errors;
mod figures;
mod flanders;
mod geometry;
mod groups;
mod handbook;
mod hierarchy;
mod hostile_files;
mod leak;
mod locations;
mod measure_sums;
mod migrate;
mod odata;
mod oidc;
mod one_rule;
mod plans;
mod postgres;
mod privacy;
mod records;
mod selection;
mod serve;
mod sites;
mod snapshot_files;
mod sources;
mod state;
mod stories;
mod survey;
mod trust;
mod web;
mod workflow;
