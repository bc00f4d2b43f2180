//! The engine's tests from the outside: warehouses built in code (`common`), computed and
//! published through the public API, checked against rules written out again here. One test
//! binary with a module per subject: `cargo test -p peil-compute --test it -- cubes::` runs one.
//! Proptest keeps its failure seeds in `../proptest-regressions/` (its default place).

mod common;

mod aggregation;
mod cubes;
mod formulas;
mod linked;
mod periods;
mod privacy;
mod property;
mod secondary;
mod selection_privacy;
mod survey;
mod weighted_property;
