fn main() {
    std::process::exit(yieldlab::cli::main());
}
