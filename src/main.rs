use std::process::ExitCode;

use clap::Parser;

/// Memory behaviour for a long-running server on glibc: large buffers (feed bodies, JSON pages)
/// come from mmap and go back to the OS when freed, instead of the dynamic threshold growing until
/// they stay in the heap; and few arenas, so freed memory is not spread over one per thread.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called first thing, before other threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * 1024);
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
