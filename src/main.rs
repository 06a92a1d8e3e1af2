fn main() -> std::process::ExitCode {
    fbbridge::cli::main()
}
