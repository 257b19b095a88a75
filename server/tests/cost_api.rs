#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should panic
//! Cloud cost through its API (issue 13, docs/cost.md), on SQLite and, when
//! `NAGARE_TEST_DATABASE_URL` is set, PostgreSQL; every number checked against a value the
//! test computes itself, from the files it wrote or read, or from the demo's rows:
//!
//! - `sample`: the FinOps Foundation's real FOCUS sample, per group, per day, week and month;
//! - `restate`: an AWS Data Exports folder restated, a crash mid-way, a half-written delivery,
//!   bad rows under and past the tolerance, loose files;
//! - `demo`: the demo's one anomaly, its unallocated sandbox, its month to date and forecast;
//! - `access`: a token limited to a team, an unrestricted one, none;
//! - `unit`: cost per deployment, of failed changes, per CI minute and run, per good SLO event;
//! - `params`: hostile and odd query parameters, empty windows, nothing stored;
//! - `replicas`: a second process on the same database follows within a second;
//! - `cli`: `nagare import-cost` as a process.
//!
//! `support` holds what they share: FOCUS CSV files and a Data Exports folder written by hand.

#[path = "cost_api/access.rs"]
mod access;
#[path = "cost_api/cli.rs"]
mod cli;
#[path = "common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;
#[path = "cost_api/demo.rs"]
mod demo;
#[path = "cost_api/params.rs"]
mod params;
#[path = "cost_api/replicas.rs"]
mod replicas;
#[path = "cost_api/restate.rs"]
mod restate;
#[path = "cost_api/sample.rs"]
mod sample;
#[path = "cost_api/support.rs"]
mod support;
#[path = "cost_api/unit.rs"]
mod unit;
