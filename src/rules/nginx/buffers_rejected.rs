//! NGX022: `proxy_buffer_size` / `proxy_buffers` / `proxy_busy_buffers_size`
//! combinations nginx refuses at start. The checks are nginx's own (merge of
//! the proxy module's location settings); a value left at its default is a
//! memory page, 4k or 8k, and a finding needs both page sizes to fail.

use foldhash::{HashSet, HashSetExt};

use crate::model::nginx::values::{parse_size, show_size};
use crate::model::nginx::{Config, Level, Node, Setting};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX022",
    check,
};

const NAMES: [&str; 3] = [
    "proxy_buffer_size",
    "proxy_buffers",
    "proxy_busy_buffers_size",
];

struct Values<'c, 'a> {
    buffer_size: Option<(u64, &'c Node<'a>)>,
    bufs: Option<(u64, u64, &'c Node<'a>)>,
    busy: Option<(u64, &'c Node<'a>)>,
}

/// Effective values at a level; `None` when one is unknown or unparsable.
fn values<'c, 'a>(cfg: &'c Config<'a>, level: Level) -> Option<Values<'c, 'a>> {
    let one = |name: &str| -> Option<Option<(u64, &'c Node<'a>)>> {
        match cfg.effective(level, name) {
            Setting::Set { .. } => {
                let s = cfg.effective(level, name);
                let n = s.node()?;
                Some(Some((parse_size(n.arg(0)?)?, n)))
            }
            Setting::Default => Some(None),
            Setting::Unknown => None,
        }
    };
    let bufs = match cfg.effective(level, "proxy_buffers") {
        Setting::Set { .. } => {
            let s = cfg.effective(level, "proxy_buffers");
            let n = s.node()?;
            Some((n.arg(0)?.parse().ok()?, parse_size(n.arg(1)?)?, n))
        }
        Setting::Default => None,
        Setting::Unknown => return None,
    };
    Some(Values {
        buffer_size: one("proxy_buffer_size")?,
        bufs,
        busy: one("proxy_busy_buffers_size")?,
    })
}

/// nginx's refusal for one page size, as (message, directive to change).
fn refusal<'c, 'a>(v: &Values<'c, 'a>, page: u64) -> Option<(String, Option<&'c Node<'a>>)> {
    let buffer_size = v.buffer_size.map(|x| x.0).unwrap_or(page);
    let (num, size) = v.bufs.map(|b| (b.0, b.1)).unwrap_or((8, page));
    let bufs_node = v.bufs.map(|b| b.2);
    if num < 2 {
        return Some((
            "there must be at least 2 \"proxy_buffers\"".into(),
            bufs_node,
        ));
    }
    let max = buffer_size.max(size);
    let busy = v.busy.map(|x| x.0).unwrap_or(2 * max);
    let busy_node = v.busy.map(|x| x.1);
    if busy < max {
        return Some((
            format!(
                "\"proxy_busy_buffers_size\" must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\" ({} < {})",
                show_size(busy),
                show_size(max)
            ),
            busy_node.or(v.buffer_size.map(|x| x.1)),
        ));
    }
    let limit = (num - 1).saturating_mul(size);
    if busy > limit {
        let why = if v.busy.is_none() {
            format!(
                "the default busy size is twice the larger of proxy_buffer_size and one proxy_buffers buffer, {}",
                show_size(busy)
            )
        } else {
            format!("busy {}", show_size(busy))
        };
        return Some((
            format!(
                "\"proxy_busy_buffers_size\" must be less than the size of all \"proxy_buffers\" minus one buffer ({why} > ({num} - 1) x {} = {})",
                show_size(size),
                show_size(limit)
            ),
            busy_node.or(v.buffer_size.map(|x| x.1)).or(bufs_node),
        ));
    }
    None
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    ingress(ctx, emit);
    let mut seen = HashSet::new();
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        // Every level that sets one of the three is merged (and checked) by nginx.
        let mut levels: Vec<Level> = Vec::new();
        for n in &cfg.nodes {
            if NAMES.contains(&n.name()) && !levels.contains(&n.parent()) {
                levels.push(n.parent());
            }
        }
        for level in levels {
            if !cfg.kind(level).is_http_level() {
                continue;
            }
            let Some(v) = values(cfg, level) else {
                continue;
            };
            let (Some((msg, node)), Some(_)) = (refusal(&v, 4096), refusal(&v, 8192)) else {
                continue;
            };
            let Some(node) =
                node.or_else(|| cfg.own(level, "proxy_buffers").map(|(_, n)| n).next())
            else {
                continue;
            };
            if !seen.insert(node.loc()) {
                continue;
            }
            emit.at(node.loc(), format!("nginx refuses to start: [emerg] {msg}"))
                .resource_opt(super::level_resource_opt(c, level))
                .help("keep proxy_busy_buffers_size between the larger of proxy_buffer_size and one proxy_buffers buffer, and the total of proxy_buffers minus one buffer (e.g. `proxy_buffers 8 16k; proxy_buffer_size 16k; proxy_busy_buffers_size 32k;`)");
        }
    }
}

/// ingress-nginx renders `proxy_buffer_size S; proxy_buffers N S;` (and
/// `proxy_busy_buffers_size B` when annotated) from `proxy-buffer-size`
/// (default 4k), `proxy-buffers-number` (default 4) and
/// `proxy-busy-buffers-size`; a combination nginx refuses breaks the
/// controller's reload.
fn ingress(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    use super::ingress_backend_protocol::{PREFIX, nginx_ingresses};
    for o in nginx_ingresses(ctx) {
        let get = |k: &str| o.annotation(&format!("{PREFIX}{k}"));
        let (size_s, num_s, busy_s) = (
            get("proxy-buffer-size"),
            get("proxy-buffers-number"),
            get("proxy-busy-buffers-size"),
        );
        if size_s.is_none() && num_s.is_none() && busy_s.is_none() {
            continue;
        }
        let Some(size) = parse_size(size_s.unwrap_or("4k")) else {
            continue;
        };
        let Some(num) = num_s.unwrap_or("4").trim().parse::<u64>().ok() else {
            continue;
        };
        let busy = match busy_s {
            Some(b) => match parse_size(b) {
                Some(b) => Some(b),
                None => continue,
            },
            None => None,
        };
        let busy_v = busy.unwrap_or(2 * size);
        let msg = if num < 2 {
            "there must be at least 2 \"proxy_buffers\"".to_string()
        } else if busy_v < size {
            format!(
                "\"proxy_busy_buffers_size\" must be equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the \"proxy_buffers\" ({} < {})",
                show_size(busy_v),
                show_size(size)
            )
        } else if busy_v > (num - 1).saturating_mul(size) {
            format!(
                "\"proxy_busy_buffers_size\" must be less than the size of all \"proxy_buffers\" minus one buffer ({} > ({num} - 1) x {} = {})",
                show_size(busy_v),
                show_size(size),
                show_size((num - 1).saturating_mul(size))
            )
        } else {
            continue;
        };
        let key = match (busy_s, num_s) {
            (Some(_), _) => "proxy-busy-buffers-size",
            (None, Some(_)) => "proxy-buffers-number",
            _ => "proxy-buffer-size",
        };
        let full = format!("{PREFIX}{key}");
        let at = o
            .path(&["metadata", "annotations", full.as_str()])
            .map(|n| n.loc())
            .unwrap_or_else(|| o.name_loc());
        emit.at(
            at,
            format!(
                "Ingress {}/{}: ingress-nginx renders `proxy_buffers {num} {}` from these annotations and nginx rejects it: [emerg] {msg}; the controller's reload fails",
                o.namespace,
                o.name,
                show_size(size)
            ),
        )
        .resource(o.resource())
        .help("use at least 3 buffers (`proxy-buffers-number: \"4\"`) and keep proxy-busy-buffers-size below (number - 1) x proxy-buffer-size");
    }
}
