//! `CONFAUDIT_TIMING=1`: where a run's time went, printed on stderr at the
//! end (as ESLint's `TIMING=1`): when each pipeline phase ended, and the
//! rules that took longest. Off, each mark is one read of a `OnceLock`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

struct Timings {
    start: Instant,
    /// Phase name and when it ended (since `start`), in order.
    phases: Mutex<Vec<(&'static str, Duration)>>,
    /// Time spent in each rule's check, summed over its calls and threads.
    rules: Mutex<HashMap<&'static str, Duration>>,
}

static TIMINGS: OnceLock<Option<Timings>> = OnceLock::new();

fn timings() -> Option<&'static Timings> {
    TIMINGS
        .get_or_init(|| {
            let on =
                std::env::var_os("CONFAUDIT_TIMING").is_some_and(|v| !v.is_empty() && v != "0");
            on.then(|| Timings {
                start: Instant::now(),
                phases: Mutex::new(Vec::new()),
                rules: Mutex::new(HashMap::new()),
            })
        })
        .as_ref()
}

/// Start the clock (first thing in `main`; later marks count from here).
pub fn start() {
    let _ = timings();
}

/// A phase of the run ends now.
pub fn phase_done(name: &'static str) {
    if let Some(t) = timings() {
        let at = t.start.elapsed();
        t.phases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((name, at));
    }
}

/// Run one rule's check, counting its time.
pub fn rule<R>(id: &'static str, check: impl FnOnce() -> R) -> R {
    let Some(t) = timings() else {
        return check();
    };
    let began = Instant::now();
    let out = check();
    let took = began.elapsed();
    *t.rules
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(id)
        .or_default() += took;
    out
}

/// The table, if timing is on (`None` otherwise).
pub fn table() -> Option<String> {
    let t = timings()?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out = String::from("phase                 ends at ms   took ms\n");
    let mut last = Duration::ZERO;
    for (name, at) in t
        .phases
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        out.push_str(&format!(
            "{name:<20} {:>11.1} {:>9.1}\n",
            ms(*at),
            ms(at.saturating_sub(last))
        ));
        last = *at;
    }
    let mut rules: Vec<(&str, Duration)> = t
        .rules
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|(id, d)| (*id, *d))
        .collect();
    let total: Duration = rules.iter().map(|(_, d)| *d).sum();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.push_str(&format!(
        "rules: {:.1} ms in checks over {} rules; slowest:\n",
        ms(total),
        rules.len()
    ));
    for (id, d) in rules.iter().take(10) {
        let share = if total.is_zero() {
            0.0
        } else {
            100.0 * d.as_secs_f64() / total.as_secs_f64()
        };
        out.push_str(&format!("  {id:<10} {:>9.1} ms {share:>5.1}%\n", ms(*d)));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_by_default_and_checks_still_run() {
        // The test environment does not set CONFAUDIT_TIMING.
        if std::env::var_os("CONFAUDIT_TIMING").is_none() {
            assert_eq!(super::rule("X", || 7), 7);
            super::phase_done("x");
            assert!(super::table().is_none());
        }
    }
}
