//! What the crates' benchmark examples share: their command line, the rounds that
//! alternate two measurements, and the median. (`cargo xtask bench` runs them and reads
//! their last line; they assert nothing.)

/// Reads `[--rounds R] [--iters N]` (both at least 1); `usage` is printed on a bad
/// argument. The defaults are 21 rounds and `default_iters` iterations.
pub fn parse_args(usage: &str, default_iters: usize) -> Result<(usize, usize), String> {
    let (mut rounds, mut iters) = (21usize, default_iters);
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

/// The median (mean of the middle two for an even count); 0 for none.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
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

/// [`alternate`] for any number of measurements: each round runs them all, the first
/// rotating, and prints a line with each figure and its ratio to the first. Returns the
/// per-round figures of each, in their order.
pub fn alternate_many(
    rounds: usize,
    unit: &str,
    measures: &mut [Measure<'_>],
) -> Result<Vec<Vec<f64>>, String> {
    let n = measures.len();
    let mut figures = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (round + k) % n;
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
