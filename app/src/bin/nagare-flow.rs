//! The flow's bundle, served for `/pipelines*`, `/value-stream` and `/pull-requests/*`:
//! pipeline runs, workflows, flaky jobs, the value stream and a pull request's journey (see
//! `lib.rs`).

fn main() {
    nagare_app::flow();
}
