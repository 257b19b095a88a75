//! Cloud cost, the pure math (issue 13): anomalies by a robust z-score against a trailing
//! baseline ([`anomaly`]) and the month-end forecast ([`forecast`]).

pub mod anomaly;
pub mod forecast;
