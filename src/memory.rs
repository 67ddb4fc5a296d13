//! Background work that must never delay an answer: memory freed by large answers goes back to
//! the operating system once the server is quiet, and background threads run only on a core no
//! request wants.
//!
//! glibc keeps freed memory in its arenas (its trim threshold grows with the largest
//! allocation, up to 64 MiB), so after a 2.4 MB feed render, its compression and an evicted
//! entry the process would keep holding it. Trimming after every render gave it back at once,
//! but the next render then faulted every page in again, zeroed by the kernel: 4 ms of a 12 ms
//! first answer after a write (docs/PERFORMANCE.md, "The first answer after a write"). So large
//! work only notes that it happened ([`note_large_work`]), and the trimmer thread trims once a
//! couple of seconds have passed without any: soon after the last burst, never in the middle of one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Weak;
use std::time::Duration;

/// How often the trimmer looks.
const TICK: Duration = Duration::from_secs(1);
/// Ticks without large work before a trim: memory goes back 2–3 s after the last large work,
/// so a burst of writes and the answers they invalidate keeps reusing its pages.
const QUIET_TICKS: u32 = 2;

/// Bodies at least this large count as large work when built or compressed.
pub const LARGE: usize = 256 * 1024;

/// Large work done since the process started.
static LARGE_WORK: AtomicU64 = AtomicU64::new(0);

/// Something allocated and freed a lot (a big render, its compression): the trimmer gives the
/// memory back once the server is quiet.
pub fn note_large_work() {
    LARGE_WORK.fetch_add(1, Ordering::Relaxed);
}

/// Sets glibc's allocator up for this pattern, once, before the server starts: large buffers
/// come from the heap rather than from fresh `mmap`s (a fixed 32 MiB `M_MMAP_THRESHOLD`, its maximum), freed
/// memory stays for the next render instead of being trimmed by `free` itself (a 256 MiB
/// `M_TRIM_THRESHOLD`: the trimmer gives it back when quiet), and two arenas rather than eight
/// per core keep the freed memory in fewer places.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before the server's threads
    // start allocating in earnest, and glibc accepts it at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Gives memory freed so far back to the operating system now.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused memory at the top of glibc's heaps to the OS; it
    // takes no pointers and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Lets the calling thread run only when a core is otherwise idle (Linux `SCHED_IDLE`), so a
/// background compression never takes the core from a request. Elsewhere, or when refused, the
/// thread keeps its priority.
pub fn run_at_idle_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sched_setscheduler with pid 0 changes the calling thread's own policy; the
        // parameter is a valid sched_param that outlives the call.
        let refused = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0;
        if refused {
            tracing::debug!("background thread keeps its priority (SCHED_IDLE refused)");
        }
    }
}

/// Starts the trimmer, which ends once `owner` is dropped.
pub fn spawn_trimmer<T: Send + Sync + 'static>(owner: Weak<T>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("turnout-trim".into())
        .spawn(move || {
            run_at_idle_priority();
            let mut seen = LARGE_WORK.load(Ordering::Relaxed);
            let mut trimmed = seen;
            let mut quiet = 0u32;
            while owner.strong_count() > 0 {
                std::thread::sleep(TICK);
                let now = LARGE_WORK.load(Ordering::Relaxed);
                quiet = if now == seen { quiet + 1 } else { 0 };
                seen = now;
                // Quiet long enough, after large work the last trim did not see.
                if quiet >= QUIET_TICKS && now != trimmed {
                    release_freed_memory();
                    trimmed = now;
                }
            }
        })
        .map(|_| ())
}
