//! How a check reports: [`Emit`] collects one rule's findings, and the
//! builder methods on [`Finding`] fill one in.
//!
//! A rule that relates objects pairwise can say the same line is at fault
//! once per other object: on a hostile tree (2,000 Istio Gateways serving
//! one host) that was millions of findings and gigabytes. At most
//! [`MAX_AT_ONE_PLACE`] different findings of a rule are kept at one place;
//! the rest are counted and said in one more finding there. A finding that
//! repeats one kept at its place (same message) is not kept twice: the
//! report would drop it anyway. Texts are bounded too ([`Finding::cap`]).

use std::hash::{BuildHasher, RandomState};

use foldhash::{HashMap, HashMapExt, HashSet};

use super::meta;
use crate::finding::{Finding, MAX_RELATED, MAX_TEXT, Related, Resource, Severity, clip};
use crate::source::Loc;

/// Different findings of one rule kept at one place (more than real
/// configs reach: the most in ../shared/corpus, analysed as one tree, is
/// 19, Istio Gateways of unrelated samples that all serve `*`).
pub const MAX_AT_ONE_PLACE: usize = 32;

/// The findings of a rule at one place.
#[derive(Default)]
struct Place {
    /// Indexes of the kept ones.
    kept: Vec<usize>,
    /// Messages (hashed) of the others.
    not_kept: HashSet<u64>,
    /// Others a rule counted instead of emitting ([`Emit::not_listed`]).
    counted: usize,
}

/// Collects the findings of one rule.
pub struct Emit {
    rule: &'static str,
    /// Read from the metadata at the first finding (most rules find nothing).
    default_severity: Option<Severity>,
    findings: Vec<Finding>,
    at_place: HashMap<Loc, Place>,
    /// Where a finding not kept is written, and forgotten.
    not_kept: Option<Finding>,
    hasher: RandomState,
}

impl Emit {
    pub fn new(rule: &'static str) -> Emit {
        Emit {
            rule,
            default_severity: None,
            findings: Vec::new(),
            at_place: HashMap::new(),
            not_kept: None,
            hasher: RandomState::new(),
        }
    }

    /// Start a finding at the line the user must change, with its whole
    /// message: a finding is told from the ones before it at its place by
    /// the message (a rule that appended details afterwards made repeats
    /// look new, and their count wrong).
    pub fn at(&mut self, loc: Loc, message: impl Into<String>) -> &mut Finding {
        let rule = self.rule;
        let severity = *self.default_severity.get_or_insert_with(|| {
            meta::get(rule)
                .map(|m| m.severity)
                .unwrap_or(Severity::Error)
        });
        // Cut now (and again in `finish`, after any additions): findings
        // are held until the rule is done.
        let message = clip(message.into(), MAX_TEXT);
        let finding = Finding {
            rule,
            severity,
            message,
            loc,
            resource: None,
            related: Vec::new(),
            related_not_listed: 0,
            help: None,
        };
        let place = self.at_place.entry(loc).or_default();
        let findings = &self.findings;
        let repeated = place.kept.iter().any(|&i| {
            findings
                .get(i)
                .is_some_and(|f| f.message == finding.message)
        });
        if repeated {
            return self.not_kept.insert(finding);
        }
        if place.kept.len() >= MAX_AT_ONE_PLACE {
            place
                .not_kept
                .insert(self.hasher.hash_one(&finding.message));
            return self.not_kept.insert(finding);
        }
        place.kept.push(self.findings.len());
        self.findings.push_mut(finding)
    }

    /// Is a place full: would a new finding there be counted, not kept?
    pub fn full_at(&self, loc: Loc) -> bool {
        self.at_place
            .get(&loc)
            .is_some_and(|p| p.kept.len() >= MAX_AT_ONE_PLACE)
    }

    /// Count `n` more findings at a full place ([`Emit::full_at`]) without
    /// building them: different from each other and from the kept ones,
    /// they are said in the place's note like the ones not kept. For a
    /// pairwise rule whose surplus costs more to build than to count
    /// (10,000 Gateways serving `*`: 100 million pairs).
    pub fn not_listed(&mut self, loc: Loc, n: usize) {
        if n > 0 {
            self.at_place.entry(loc).or_default().counted += n;
        }
    }

    /// The findings, and one more at each place that had too many, saying
    /// how many are not listed (as severe as the worst listed there).
    pub fn finish(mut self) -> Vec<Finding> {
        for f in &mut self.findings {
            f.cap();
        }
        let mut crowded: Vec<(Loc, usize)> = self
            .at_place
            .into_iter()
            .map(|(loc, p)| (loc, p.not_kept.len() + p.counted))
            .filter(|&(_, n)| n > 0)
            .collect();
        crowded.sort_unstable();
        // The worst severity listed at each crowded place, in one pass (not
        // one scan of every finding per place).
        let mut worst: HashMap<Loc, Option<Severity>> =
            crowded.iter().map(|&(loc, _)| (loc, None)).collect();
        for f in &self.findings {
            if let Some(w) = worst.get_mut(&f.loc) {
                *w = (*w).max(Some(f.severity));
            }
        }
        for (loc, n) in crowded {
            let Some(&Some(severity)) = worst.get(&loc) else {
                continue;
            };
            let rule = self.rule;
            self.findings.push(Finding {
                rule,
                severity,
                message: format!(
                    "{n} more {rule} findings at this place are not listed ({MAX_AT_ONE_PLACE} are, the most one place gets)"
                ),
                loc,
                resource: None,
                related: Vec::new(),
                related_not_listed: 0,
                help: None,
            });
        }
        self.findings
    }
}

impl Finding {
    pub fn resource(&mut self, r: Resource) -> &mut Finding {
        self.resource = Some(r.clipped());
        self
    }
    /// Point at another place involved; past [`MAX_RELATED`] they are
    /// counted, not kept.
    pub fn related(&mut self, loc: Loc, message: impl Into<String>) -> &mut Finding {
        if self.related.len() < MAX_RELATED {
            self.related.push(Related {
                message: clip(message.into(), MAX_TEXT),
                loc,
            });
        } else {
            self.related_not_listed += 1;
        }
        self
    }
    pub fn resource_opt(&mut self, r: Option<Resource>) -> &mut Finding {
        self.resource = r.map(Resource::clipped);
        self
    }
    pub fn help(&mut self, help: impl Into<String>) -> &mut Finding {
        self.help = Some(clip(help.into(), MAX_TEXT));
        self
    }
    pub fn severity(&mut self, s: Severity) -> &mut Finding {
        self.severity = s;
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn loc(start: u32) -> Loc {
        Loc {
            file: 0,
            span: Span {
                start,
                end: start + 1,
            },
        }
    }

    #[test]
    fn a_place_keeps_its_first_findings_and_says_how_many_more() {
        let mut emit = Emit::new("ISTIO009");
        for i in 0..40 {
            let f = emit.at(loc(1), format!("clash {i}"));
            if i == 3 {
                f.severity(Severity::Error);
            }
        }
        // Repeats are not kept twice, nor counted twice.
        emit.at(loc(1), "clash 0").help("a repeat");
        emit.at(loc(1), "clash 35");
        emit.at(loc(2), "alone").related(loc(1), "other");
        emit.at(loc(2), "alone");
        let findings = emit.finish();
        let at_1: Vec<&Finding> = findings.iter().filter(|f| f.loc == loc(1)).collect();
        assert_eq!(at_1.len(), MAX_AT_ONE_PLACE + 1);
        assert_eq!(at_1[0].help, None);
        assert_eq!(at_1[31].message, "clash 31");
        let summary = at_1.last().unwrap();
        assert!(
            summary.message.starts_with("8 more ISTIO009 findings"),
            "{}",
            summary.message
        );
        // As severe as the worst listed there.
        assert_eq!(summary.severity, Severity::Error);
        let at_2: Vec<&Finding> = findings.iter().filter(|f| f.loc == loc(2)).collect();
        assert_eq!(at_2.len(), 1);
        assert_eq!(at_2[0].related.len(), 1);
    }

    #[test]
    fn findings_counted_by_a_rule_join_the_ones_not_kept() {
        let mut emit = Emit::new("ISTIO009");
        for i in 0..MAX_AT_ONE_PLACE {
            assert!(!emit.full_at(loc(1)));
            emit.at(loc(1), format!("clash {i}"))
                .severity(Severity::Warning);
        }
        assert!(emit.full_at(loc(1)));
        emit.at(loc(1), "clash built anyway");
        emit.not_listed(loc(1), 5);
        // Nothing counted: no note.
        emit.not_listed(loc(2), 0);
        emit.at(loc(2), "alone");
        let findings = emit.finish();
        let notes: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.message.contains("not listed"))
            .collect();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.starts_with("6 more ISTIO009 findings"));
        assert_eq!(notes[0].loc, loc(1));
        assert_eq!(notes[0].severity, Severity::Warning);
    }

    #[test]
    fn findings_that_differ_only_in_their_details_are_both_kept() {
        // Two locations including one file (NGX014): one finding is a
        // warning with a note, the other an error; neither is a repeat.
        // Even when the note is added after `at` (rules now give the whole
        // message): a finding is a repeat only of the message as it stands.
        let mut emit = Emit::new("NGX014");
        emit.at(loc(1), "no upgrade")
            .severity(Severity::Warning)
            .message
            .push_str(" (falls back to polling)");
        emit.at(loc(1), "no upgrade");
        emit.at(loc(1), "no upgrade");
        let findings = emit.finish();
        assert_eq!(findings.len(), 2);
    }

    #[test]
    fn texts_that_quote_huge_input_are_cut_once() {
        use crate::finding::{MAX_NAME, clip};
        let mut emit = Emit::new("K8S007");
        let name = "n".repeat(200_000);
        emit.at(loc(1), format!("Service {name}: bad port"))
            .help(format!("rename {name}"))
            .related(loc(2), format!("here {name}"))
            .resource(Resource {
                kind: "Service".into(),
                namespace: Some("é".repeat(200)),
                name: name.clone(),
            });
        let mut findings = emit.finish();
        // Cut again on the way out (as the pipeline does): no change.
        let before = format!("{:?}", findings);
        findings.iter_mut().for_each(Finding::cap);
        assert_eq!(format!("{:?}", findings), before);
        let f = findings.first().unwrap();
        // At most the limit, note included, and the note counts what went.
        assert!(f.message.len() <= MAX_TEXT);
        let kept = f.message.split('…').next().unwrap().len();
        let note = format!("… ({} more bytes)", 200_018 - kept);
        assert!(f.message.ends_with(&note), "{}", &f.message[kept..]);
        assert!(f.help.as_ref().unwrap().len() <= MAX_TEXT);
        assert!(f.related[0].message.len() <= MAX_TEXT);
        let r = f.resource.as_ref().unwrap();
        assert!(r.name.len() <= MAX_NAME && r.name.starts_with("nnn"));
        // Cut at a character boundary.
        let ns = r.namespace.as_ref().unwrap();
        assert!(ns.len() <= MAX_NAME && ns.starts_with("éé"));
        assert_eq!(clip("short".into(), 10), "short");
        let cut = clip("é".repeat(100), 50);
        assert_eq!(cut, format!("{}… (190 more bytes)", "é".repeat(5)));
        assert_eq!(clip(cut.clone(), 50), cut);
    }

    #[test]
    fn a_finding_lists_its_first_related_places_and_counts_the_rest() {
        let mut emit = Emit::new("K8S002");
        let f = emit.at(loc(1), "port name");
        for i in 0..20 {
            f.related(loc(100 + i), format!("template {i}"));
        }
        emit.at(loc(2), "few").related(loc(3), "one");
        let findings = emit.finish();
        assert_eq!(findings[0].related.len(), MAX_RELATED);
        assert_eq!(findings[0].related[15].message, "template 15");
        assert_eq!(
            findings[0].message,
            "port name (4 more related places are not listed; 16 are)"
        );
        assert_eq!(findings[0].related_not_listed, 0);
        assert_eq!(findings[1].message, "few");
    }
}
