//! The flow's bundle, served for `/pipelines*`, `/value-stream`, `/pull-requests/*`, `/runs*`,
//! `/approvals` and `/services/*`: pipeline runs, workflows, flaky jobs, the value stream, a
//! pull request's journey, runs started from the portal and a service's page (see `lib.rs`).

fn main() {
    nagare_app::flow();
}
