//! Peil's computation engine: from what the store holds to what readers may see.
//!
//! [`compute`] rolls loaded values up the hierarchy DAG and over periods and evaluates formula
//! indicators, vectorised per level; [`publish`] applies the privacy rules and returns an
//! immutable [`Snapshot`]. Missing codes in totals follow one rule everywhere, written in one
//! place ([`slot`]): `x` hides the total, `?` makes it unknown, empty and `nvt` are skipped.
//! The [`checker`] module holds the independent recovery attack used to prove that secondary
//! suppression leaves no hidden cell recoverable.

pub mod access;
pub mod checker;
pub mod dashboard;
pub mod diff;
pub mod engine;
mod eval;
pub mod file;
#[cfg(test)]
mod fixtures;
pub mod geo;
pub mod hierarchy;
pub mod linked;
pub mod lost;
pub mod measures;
mod modp;
pub mod privacy;
pub mod review;
pub mod scorecard;
pub mod slot;
pub mod snapshot;
pub mod survey;

pub use engine::{ComputeError, Computed, compute};
pub use lost::{LostValues, MarginalMismatch, lost_values, marginal_mismatches};
pub use snapshot::{LoadError, PublishStats, SeriesOrder, Snapshot};

/// Options of a publication.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Hide extra cells so that no hidden cell can be recovered by differencing (default on).
    pub secondary_suppression: bool,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            secondary_suppression: true,
        }
    }
}

/// Computes everything and applies privacy rules: the snapshot readers are served from.
pub fn publish(
    w: &peil_core::Warehouse,
    generation: u64,
    opts: &PublishOptions,
) -> Result<Snapshot, ComputeError> {
    let c = compute(w)?;
    Ok(Snapshot::from_computed(
        c,
        w,
        generation,
        opts.secondary_suppression,
    ))
}
