//! Telling whether this process is a `fork` child of the one that made a pool,
//! without a `getpid` system call on every submission.
//!
//! On Unix a `pthread_atfork` child handler (registered once, before the first
//! pool records the generation) counts forks; a pool remembers the count it was
//! made under. Elsewhere there is no `fork`, and the generation never changes.

use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The number of forks between the first call and now, in this process's line
/// of descent; compare two readings to learn whether a fork happened between.
pub fn generation() -> u64 {
    #[cfg(unix)]
    register();
    GENERATION.load(Ordering::Acquire)
}

#[cfg(unix)]
fn register() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // Only an atomic increment runs in the child: async-signal-safe.
        extern "C" fn in_child() {
            GENERATION.fetch_add(1, Ordering::AcqRel);
        }
        // SAFETY: registers a handler that touches nothing but an atomic. If
        // registration fails (ENOMEM) forks go unnoticed, as before pools
        // checked for them at all; that cannot be reported from here.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    });
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_fork_is_counted_in_the_child_only() {
        let before = generation();
        // SAFETY: the child only reads an atomic and exits without unwinding.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = if generation() == before + 1 { 0 } else { 1 };
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just made.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        assert_eq!(generation(), before);
    }
}
