//! NGINX value syntax: times (`1m30s`), sizes (`8k`), versions (`1.29.7`).

use std::fmt;

/// A time in seconds, as nginx reads it: `500ms`, `30`, `1m30s`, `2h`.
/// Units: ms, s, m, h, d, w, M (30 days), y (365 days); none means seconds.
pub fn parse_time(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let (num, tail) = rest.split_at(digits);
        let n: f64 = num.parse::<u64>().ok()? as f64;
        let (mult, used) = if tail.starts_with("ms") {
            (0.001, 2)
        } else {
            match tail.chars().next() {
                None => (1.0, 0),
                Some('s') => (1.0, 1),
                Some('m') => (60.0, 1),
                Some('h') => (3600.0, 1),
                Some('d') => (86_400.0, 1),
                Some('w') => (604_800.0, 1),
                Some('M') => (2_592_000.0, 1),
                Some('y') => (31_536_000.0, 1),
                Some(_) => return None,
            }
        };
        total += n * mult;
        rest = tail.get(used..)?;
    }
    Some(total)
}

/// A size in bytes: `512`, `8k`, `1m`, `1g` (either case).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(digits);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit {
        "" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Seconds for messages: `60s`, `1.5s`, `90s`.
pub fn show_secs(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{}s", s as i64)
    } else {
        format!("{s}s")
    }
}

/// Bytes for messages: `8k`, `1m`, `1000`.
pub fn show_size(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{}m", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{}k", n >> 10)
    } else {
        n.to_string()
    }
}

/// An nginx version (`--nginx-version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// What confaudit assumes without `--nginx-version`: the 1.28 stable
    /// series, the last before upstream keepalive became the default.
    pub const DEFAULT: Version = Version(1, 28, 0);
    /// Upstream keepalive on by default, `proxy_http_version 1.1` by
    /// default, no `Connection: close` sent (CHANGES 1.29.7).
    pub const KEEPALIVE_BY_DEFAULT: Version = Version(1, 29, 7);
    /// `proxy_http_version 2`.
    pub const PROXY_HTTP2: Version = Version(1, 29, 4);
    /// `server ... resolve` and the upstream `resolver` in open-source nginx.
    pub const RESOLVE_IN_OSS: Version = Version(1, 27, 3);

    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches(['v', 'V']);
        let mut it = s.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().map(str::parse).transpose().ok()?.unwrap_or(0);
        let patch = it.next().map(str::parse).transpose().ok()?.unwrap_or(0);
        if it.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }

    /// Upstream keepalive and HTTP/1.1 to upstreams without configuration.
    pub fn keepalive_by_default(self) -> bool {
        self >= Version::KEEPALIVE_BY_DEFAULT
    }
}

impl Default for Version {
    fn default() -> Self {
        Version::DEFAULT
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("60"), Some(60.0));
        assert_eq!(parse_time("60s"), Some(60.0));
        assert_eq!(parse_time("1m30s"), Some(90.0));
        assert_eq!(parse_time("500ms"), Some(0.5));
        assert_eq!(parse_time("2h"), Some(7200.0));
        assert_eq!(parse_time("1x"), None);
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("s"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8k"), Some(8192));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("8kb"), None);
        assert_eq!(show_size(16384), "16k");
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("1.29.7"), Some(Version(1, 29, 7)));
        assert_eq!(Version::parse("1.30"), Some(Version(1, 30, 0)));
        assert!(Version::parse("1.30.0").unwrap().keepalive_by_default());
        assert!(!Version::DEFAULT.keepalive_by_default());
        assert_eq!(Version::parse("x"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
    }
}
