fn main() -> std::process::ExitCode {
    nagare_server::cli::main()
}
