//! The portal's bundle: overview, teams, deployments, incidents (see `lib.rs`).

fn main() {
    nagare_app::portal();
}
