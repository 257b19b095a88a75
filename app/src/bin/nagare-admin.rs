//! The administration's bundle, served for `/admin/*`: sources, API tokens, the audit log
//! (see `lib.rs`).

fn main() {
    nagare_app::administration();
}
