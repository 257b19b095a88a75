//! Cloud cost, the pure math (issue 13): a row's team and service ([`allocate`]), anomalies by
//! a robust z-score against a trailing baseline ([`anomaly`]) and the month-end forecast
//! ([`forecast`]).

pub mod allocate;
pub mod anomaly;
pub mod forecast;
