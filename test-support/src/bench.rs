//! What the crates' benchmark examples share: their command line, the rounds that
//! alternate two measurements, the median, keeping a benchmark on one CPU, and forked
//! workers. (`cargo xtask bench` runs them and reads their last line; they assert
//! nothing.)

pub use crate::median::median;
pub use crate::round_order::RoundOrder;

/// Reads `[--rounds R] [--iters N]` (both at least 1); `usage` is printed on a bad
/// argument. The defaults are 201 rounds and `default_iters` iterations: many short rounds
/// rather than a few long ones, so that the two sides of a round run close together in
/// time (on a virtual machine whose speed drifts by half within a second, the median of
/// the per-round ratios of 201 short rounds moved by 0.01 between runs, that of 21 long
/// ones by 0.04).
pub fn parse_args(usage: &str, default_iters: usize) -> Result<(usize, usize), String> {
    let (mut rounds, mut iters) = (201usize, default_iters);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--rounds" => &mut rounds,
            "--iters" => &mut iters,
            "-h" | "--help" => return Err(usage.into()),
            other => return Err(format!("unknown argument {other:?}\n{usage}")),
        };
        let value = args
            .next()
            .ok_or_else(|| format!("{arg} needs a value\n{usage}"))?;
        *slot = value
            .parse()
            .map_err(|e| format!("{arg} {value:?}: {e}\n{usage}"))?;
        if *slot == 0 {
            return Err(format!("{arg} must be at least 1"));
        }
    }
    Ok((rounds, iters))
}

/// Keeps the calling thread, and the processes and threads it starts from now on, on the
/// CPU it runs on now (call it before starting any other thread: those already running
/// stay where they may), and says so on stdout. For a benchmark whose two sides run in
/// turns in different processes (forked workers): on a virtual machine each CPU's speed
/// drifts on its own, and a side the scheduler happened to leave on the slower one for a
/// round would look slower (a filter 0.7 or 1.4 times as costly, between runs). On one
/// CPU both sides meet the same drift.
///
/// Where the kernel refuses (a cpuset that forbids the change, a seccomp filter), it says
/// so and the benchmark runs unpinned: pinning only lowers the noise. The kernel may also
/// widen the mask again later, should that CPU leave the cpuset or go offline.
pub fn pin_to_this_cpu() {
    let cpu = rustix::thread::sched_getcpu();
    let pinned = match cpu < rustix::thread::CpuSet::MAX_CPU {
        true => {
            let mut set = rustix::thread::CpuSet::new();
            set.set(cpu);
            rustix::thread::sched_setaffinity(None, &set).map_err(|e| e.to_string())
        }
        false => Err("beyond the CPUs an affinity mask holds".into()),
    };
    match pinned {
        Ok(()) => println!("pinned to CPU {cpu}, with the processes it starts"),
        Err(e) => println!("not pinned to CPU {cpu} ({e}): running wherever the kernel puts it"),
    }
}

/// One named measurement of [`alternate`]: its label and what times one round (ns per
/// iteration).
pub type Measure<'a> = (&'a str, &'a mut dyn FnMut() -> Result<f64, String>);

/// Runs `rounds` rounds of both measurements, alternating which goes first, and prints a
/// line per round with the ratio first / second. Returns the per-round figures of each.
pub fn alternate(
    rounds: usize,
    unit: &str,
    first: Measure<'_>,
    second: Measure<'_>,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let (mut a_ns, mut b_ns) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    let ((a_name, a), (b_name, b)) = (first, second);
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = a()?;
            (x, b()?)
        } else {
            let y = b()?;
            (a()?, y)
        };
        println!(
            "round {:>2}/{rounds}: {a_name} {x:>8.1} {unit}  {b_name} {y:>8.1} {unit}  ratio {:.3}",
            round + 1,
            x / y
        );
        a_ns.push(x);
        b_ns.push(y);
    }
    Ok((a_ns, b_ns))
}

/// Runs `cmd` to its end, output discarded, and returns how long it took from spawn to
/// reaping. Err, with what it printed, unless it exits 0 (it is run once more to capture
/// that).
pub fn time_run(cmd: &mut std::process::Command) -> Result<std::time::Duration, String> {
    use std::process::Stdio;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = std::time::Instant::now();
    let status = cmd.status();
    let elapsed = started.elapsed();
    match status {
        Ok(s) if s.success() => Ok(elapsed),
        _ => {
            let out = cmd
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .output()
                .map_err(|e| format!("run {cmd:?}: {e}"))?;
            Err(format!(
                "{cmd:?} failed ({:?}), then {}:\n{}{}",
                status.map(|s| s.to_string()),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// [`alternate`] for any number of measurements: each round runs them all, in an order
/// shuffled anew each round ([`RoundOrder`]), and prints a line with each figure and, for
/// each but the first, the first's figure over it. Returns the per-round figures of each,
/// in their order.
pub fn alternate_many(
    rounds: usize,
    unit: &str,
    measures: &mut [Measure<'_>],
) -> Result<Vec<Vec<f64>>, String> {
    let n = measures.len();
    let mut figures = vec![Vec::with_capacity(rounds); n];
    let mut order = RoundOrder::new(n);
    for round in 0..rounds {
        for &i in order.next_round() {
            let figure = (measures[i].1)()?;
            figures[i].push(figure);
        }
        let mut line = format!("round {:>2}/{rounds}:", round + 1);
        for (i, (name, _)) in measures.iter().enumerate() {
            let x = figures[i][round];
            line += &format!("  {name} {x:>8.1} {unit}");
            if i > 0 {
                line += &format!(" ({:.3})", figures[0][round] / x);
            }
        }
        println!("{line}");
    }
    Ok(figures)
}

/// The median of the per-round ratios `a[i] / b[i]`, which a load that drifts between
/// rounds moves less than the ratio of the medians.
pub fn paired_ratio(a: &[f64], b: &[f64]) -> f64 {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    median(&mut ratios)
}

/// A forked process that measures on request, so that what it set up (a seccomp filter,
/// its own proc-fd handle) stays out of the process that compares: each request byte runs
/// its job once, and the figure the job returns comes back (NaN, with the error on the
/// worker's stderr, when the job failed). It ends when dropped (its request pipe closes),
/// in whatever order workers are dropped: each closes, once forked, the pipe ends of the
/// workers spawned before it, which would otherwise keep their request
/// pipes open.
pub struct Worker {
    name: &'static str,
    pid: i32,
    go: Option<std::os::fd::OwnedFd>,
    results: std::os::fd::OwnedFd,
}

/// The parent's ends of the pipes of the live workers, which a worker forked later closes
/// in its copy of the descriptor table.
static PARENT_ENDS: std::sync::Mutex<Vec<std::os::fd::RawFd>> = std::sync::Mutex::new(Vec::new());

/// [`PARENT_ENDS`], locked (a panic while it was held leaves a list still right).
fn parent_ends() -> std::sync::MutexGuard<'static, Vec<std::os::fd::RawFd>> {
    PARENT_ENDS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Worker {
    /// Forks the worker, which runs `setup` and then answers each request byte `b` with
    /// `job(b)`, the job `setup` returned. Call it before any thread starts (the fork needs
    /// a single-threaded process).
    pub fn spawn<J>(
        name: &'static str,
        setup: impl FnOnce() -> Result<J, String>,
    ) -> Result<Worker, String>
    where
        J: FnMut(u8) -> Result<f64, String>,
    {
        let (go_r, go_w) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
        let (res_r, res_w) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
        // The parent's ends: closed in the worker (or its request pipe never ends), kept
        // here. The worker's ends go with the closure, which the parent drops unrun.
        let parent_ends = std::cell::Cell::new(Some((go_w, res_r)));
        let ends = &parent_ends;
        let earlier_workers = self::parent_ends().clone();
        let pid = crate::syscalls::fork_process(move || {
            drop(ends.take());
            for fd in earlier_workers {
                // SAFETY: the number is the parent's end of an earlier worker's pipe, owned
                // by a `Worker` in this copy of the parent's memory, which this process
                // never uses or drops: it ends in `_exit` once the job is done.
                unsafe { libc::close(fd) };
            }
            let answer = |figure: f64| rustix::io::write(&res_w, &figure.to_le_bytes()) == Ok(8);
            let mut job = match setup() {
                Ok(job) => job,
                Err(e) => {
                    eprintln!("{name}: {e}");
                    answer(f64::NAN);
                    return 1;
                }
            };
            let mut request = [0u8; 1];
            while let Ok(1) = rustix::io::read(&go_r, &mut request) {
                let figure = job(request[0]).unwrap_or_else(|e| {
                    eprintln!("{name}: {e}");
                    f64::NAN
                });
                if !answer(figure) {
                    return 1;
                }
            }
            0
        })
        .map_err(|e| format!("fork {name}: {e:?}"))?;
        let (go_w, res_r) = parent_ends.take().ok_or("the pipes went missing")?;
        {
            use std::os::fd::AsRawFd;
            self::parent_ends().extend([go_w.as_raw_fd(), res_r.as_raw_fd()]);
        }
        Ok(Worker {
            name,
            pid,
            go: Some(go_w),
            results: res_r,
        })
    }

    /// Sends `request` and returns the figure the job gave back.
    pub fn ask(&self, request: u8) -> Result<f64, String> {
        let name = self.name;
        let go = self.go.as_ref().ok_or(format!("{name} was stopped"))?;
        rustix::io::write(go, &[request]).map_err(|e| format!("ask {name}: {e}"))?;
        let mut bytes = [0u8; 8];
        let mut got = 0;
        while got < bytes.len() {
            match rustix::io::read(&self.results, &mut bytes[got..]) {
                Ok(0) => return Err(format!("{name} ended early")),
                Ok(n) => got += n,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(format!("read from {name}: {e}")),
            }
        }
        let figure = f64::from_le_bytes(bytes);
        match figure.is_nan() {
            true => Err(format!("{name} failed (see above)")),
            false => Ok(figure),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        let ours = [
            self.go.as_ref().map(AsRawFd::as_raw_fd),
            Some(self.results.as_raw_fd()),
        ];
        parent_ends().retain(|fd| !ours.contains(&Some(*fd)));
        // End of file on its request pipe ends the worker.
        drop(self.go.take());
        let _ = crate::syscalls::waitpid(self.pid);
    }
}

#[cfg(test)]
mod tests {
    use super::Worker;

    #[test]
    fn workers_end_whichever_is_dropped_first() {
        let first = Worker::spawn("first", || Ok(|_| Ok(1.0))).expect("spawn first");
        let second = Worker::spawn("second", || Ok(|_| Ok(2.0))).expect("spawn second");
        assert_eq!(first.ask(0), Ok(1.0));
        assert_eq!(second.ask(0), Ok(2.0));
        // The first while the second lives: its request pipe must reach end of file, which
        // the kernel gives only once no process holds the write end, the second included.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(first);
            let _ = done.send(());
        });
        let ended = finished.recv_timeout(std::time::Duration::from_secs(10));
        assert!(
            ended.is_ok(),
            "the first worker did not end while the second lived"
        );
        assert_eq!(second.ask(0), Ok(2.0));
        drop(second);
        assert!(super::parent_ends().is_empty(), "ends left in the list");
    }
}
