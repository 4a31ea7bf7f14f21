//! Intentionally empty: see Cargo.toml. This crate only shapes dependency features.
