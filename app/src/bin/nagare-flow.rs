//! The flow's bundle, served for `/pipelines*`: pipeline runs, workflows and flaky jobs (see
//! `lib.rs`).

fn main() {
    nagare_app::flow();
}
