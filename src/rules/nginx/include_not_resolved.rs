//! NGX000: an `include` that names nothing among the analysed files.

use crate::model::nginx::NoteKind;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX000",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for n in crate::model::nginx::unique_notes(ctx.nginx_notes) {
        let (msg, help) = match n.kind {
            NoteKind::Missing => (
                format!(
                    "include `{}` is not among the analysed files (looked for `{}`, relative to the directory of `{}` as nginx does); what it holds is not checked",
                    n.pattern, n.target, n.root
                ),
                "add the file to the analysed paths; nginx refuses to start when a plain include is missing",
            ),
            NoteKind::Outside => (
                format!(
                    "include `{}` is outside the analysed tree; what it holds is not checked",
                    n.pattern
                ),
                "analyse a tree that holds it (e.g. a copy of /etc/nginx), or ignore this note",
            ),
            NoteKind::EmptyGlob => (
                format!(
                    "include `{}` matches no analysed file (looked for `{}`); nginx accepts an empty glob, so nothing is included",
                    n.pattern, n.target
                ),
                "check the pattern against the directory layout nginx runs with",
            ),
            NoteKind::Cycle => (
                format!(
                    "include `{}` includes `{}` again, which is already being read: nginx would recurse until it fails",
                    n.pattern, n.target
                ),
                "remove the include that closes the cycle",
            ),
            NoteKind::TooDeep => (
                format!(
                    "include `{}` nests more than {} levels deep; deeper includes are not read",
                    n.pattern,
                    crate::model::nginx::tree::MAX_INCLUDE_DEPTH
                ),
                "flatten the include chain",
            ),
            NoteKind::RunBudget => (
                format!(
                    "configuration `{}` is not checked: the configurations before it read more than {} included files in all, the most one run reads",
                    n.root,
                    crate::model::nginx::tree::MAX_RUN_FILE_READS
                ),
                "check fewer configurations per run (e.g. one site's directory), or look for includes that repeat a glob in every file",
            ),
            NoteKind::TooManyReads => (
                format!(
                    "configuration `{}` is checked only up to this include: it read {} included files, the most one configuration reads; the blocks left open here count as unknown",
                    n.root,
                    crate::model::nginx::tree::MAX_FILE_READS
                ),
                "look for an include that repeats a glob in every file it matches",
            ),
            NoteKind::TooManyDirectives => (
                format!(
                    "configuration `{}` is checked only up to this directive: it expands to {} directives, the most one configuration holds; the blocks left open here count as unknown",
                    n.root,
                    crate::model::nginx::tree::MAX_NODES
                ),
                "look for includes that splice the same files in many times",
            ),
        };
        emit.at(n.loc, msg).help(help);
    }
}
