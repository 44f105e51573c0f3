//! Process hardening that every Coffer binary applies first thing in `main`.
//!
//! A core dump is a copy of the process's memory written to disk: keys and plaintext that
//! Coffer keeps only in memory would land in a file that outlives the session. Setting the
//! core-size limit to zero (soft and hard, so no later code and no child process can raise it
//! again) stops the kernel from writing one, and `systemd-coredump` honours the same limit.
//! Child processes (the web view's WebKit processes) inherit the limit.

/// Disables core dumps for this process and its children (RLIMIT_CORE = 0, soft and hard).
///
/// Returns an error only if the kernel refuses the new limit, which it does not for lowering
/// a limit; callers may ignore the result on platforms without resource limits.
#[cfg(unix)]
pub fn harden_process() -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let none = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    setrlimit(Resource::Core, none).map_err(std::io::Error::from)
}

/// Disables core dumps for this process and its children: nothing to do where there are no
/// resource limits (Windows writes no core files unless asked to).
#[cfg(not(unix))]
pub fn harden_process() -> std::io::Result<()> {
    Ok(())
}

/// Gives the calling thread the lowest CPU priority (nice 19), for background work that must
/// not slow what the person is doing (the scrub after unlock). On Linux a priority set for a
/// thread id applies to that thread alone; elsewhere this does nothing.
pub fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The soft and hard core-size limits as the kernel reports them in /proc/self/limits.
    fn core_limits() -> (String, String) {
        let limits = std::fs::read_to_string("/proc/self/limits").expect("read /proc/self/limits");
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .expect("a core file size line");
        let mut fields = line["Max core file size".len()..].split_whitespace();
        let soft = fields.next().expect("soft limit").to_string();
        let hard = fields.next().expect("hard limit").to_string();
        (soft, hard)
    }

    #[test]
    fn a_thread_can_lower_its_own_priority_alone() {
        let before = rustix::process::getpriority_process(None).expect("priority");
        let lowered = std::thread::spawn(|| {
            lower_this_threads_priority();
            rustix::process::getpriority_process(Some(rustix::thread::gettid())).expect("priority")
        })
        .join()
        .expect("thread");
        assert_eq!(lowered, 19);
        assert_eq!(
            rustix::process::getpriority_process(None).expect("priority"),
            before
        );
    }

    #[test]
    fn core_dumps_are_disabled() {
        harden_process().expect("lower RLIMIT_CORE");
        assert_eq!(core_limits(), ("0".to_string(), "0".to_string()));
        harden_process().expect("calling it twice is fine");
        assert_eq!(core_limits(), ("0".to_string(), "0".to_string()));
    }
}
