use std::process::ExitCode;

use clap::Parser;

/// Memory behaviour for a long-running server on glibc: one arena, so memory freed after a large
/// render or page is reused instead of sitting in a per-thread heap. (A fixed, low mmap threshold also kept RSS down but made every 200 of
/// a large feed pay for fresh pages: throughput fell to a third. See docs/PERFORMANCE.md.)
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called first thing, before other threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = turnout::cli::Cli::parse();
    match turnout::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
