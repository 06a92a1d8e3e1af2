// glibc's malloc spent a fifth of the gateway's time under load (scripts/bench profile);
// mimalloc's per-thread heaps avoid that contention.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    fbbridge::cli::main()
}
