//! A file's Kubernetes facts with their texts moved out of the file's
//! scalar buffer into a compact one the run holds.
//!
//! Facts are read from a file's documents, borrowing the texts of its
//! scalar buffer. Most documents drop their trees once the file is read,
//! and the facts use about a quarter of the buffer (names, labels, ports;
//! not ConfigMap data, resources or volumes), so the run keeps a copy of
//! just those texts instead of every buffer whole.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::k8s::*;
use super::read_k8s::FileFacts;
use crate::parse::tree::TextStore;
use crate::parse::yaml::FxHasher;
use crate::source::FileId;

/// Facts whose texts can be moved to another buffer. `to` is called on
/// every text, always in the same order for facts of the same shape, so
/// one pass can record the texts and a second hand out their copies.
pub trait Rehome<'a, 'b> {
    type Out;
    fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> Self::Out;
}

impl<'a, 'b> Rehome<'a, 'b> for &'a str {
    type Out = &'b str;
    fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> &'b str {
        to(self)
    }
}

impl<'a, 'b, T: Rehome<'a, 'b>> Rehome<'a, 'b> for Option<T> {
    type Out = Option<T::Out>;
    fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> Self::Out {
        self.map(|t| t.rehome(to))
    }
}

impl<'a, 'b, T: Rehome<'a, 'b>> Rehome<'a, 'b> for Vec<T> {
    type Out = Vec<T::Out>;
    fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> Self::Out {
        // Same layout in and out: collected in place, no new allocation.
        self.into_iter().map(|t| t.rehome(to)).collect()
    }
}

impl<'a, 'b, A: Rehome<'a, 'b>, B: Rehome<'a, 'b>> Rehome<'a, 'b> for (A, B) {
    type Out = (A::Out, B::Out);
    fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> Self::Out {
        let a = self.0.rehome(to);
        (a, self.1.rehome(to))
    }
}

impl<'a, 'b> Rehome<'a, 'b> for PortRef<'a> {
    type Out = PortRef<'b>;
    fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> PortRef<'b> {
        match self {
            PortRef::Number(n) => PortRef::Number(n),
            PortRef::Name(s) => PortRef::Name(to(s)),
            PortRef::OutOfRange(s) => PortRef::OutOfRange(to(s)),
        }
    }
}

impl<'a, 'b> Rehome<'a, 'b> for crate::source::Loc {
    type Out = Self;
    fn rehome(self, _: &mut impl FnMut(&'a str) -> &'b str) -> Self {
        self
    }
}

/// `Rehome` for a fact struct: the fields holding texts are moved, the
/// others copied. The struct is taken apart whole, so a field added later
/// and listed in neither group does not compile.
macro_rules! rehome_fields {
    ($T:ident { moved: $($moved:ident),* ; copied: $($copied:ident),* }) => {
        impl<'a, 'b> Rehome<'a, 'b> for $T<'a> {
            type Out = $T<'b>;
            fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> $T<'b> {
                let $T { $($moved,)* $($copied,)* } = self;
                $T { $($moved: $moved.rehome(to),)* $($copied,)* }
            }
        }
    };
}

rehome_fields!(ContainerPort { moved: name, protocol; copied: number, loc, name_loc, number_loc });
rehome_fields!(Probe { moved: port; copied: kind, handler, port_loc });
rehome_fields!(EnvVar { moved: name, value; copied: });
rehome_fields!(Container {
    moved: name, ports, probes, image, command_args, env;
    copied: has_pre_stop, init, sidecar, run_as_user
});
rehome_fields!(SelectorExpression { moved: key, operator, values; copied: });
rehome_fields!(LabelSelector { moved: match_labels, expressions; copied: loc, null });
rehome_fields!(PodTemplate {
    moved: labels, annotations, containers, selector;
    copied: object, spec_loc, template_labels_loc, grace_period, run_as_user, port_index
});
rehome_fields!(ServicePort {
    moved: name, target, protocol, app_protocol, port_field;
    copied: port, loc, target_loc, name_loc, app_protocol_loc
});
rehome_fields!(Service {
    moved: type_, selector, ports, external_name;
    copied: object, selector_loc, headless, port_index
});

type TextMap = HashMap<(usize, usize), (u32, u32), BuildHasherDefault<FxHasher>>;

/// What `held_in` fills for a file, kept by each thread for the next file:
/// most files hold a few dozen texts, and growing new tables and buffers
/// for each was a third of the work.
#[derive(Default)]
struct Scratch {
    /// (address, length) of each distinct text -> (start, length) in `copy`.
    seen: TextMap,
    /// Where each text visited is in `copy`, in visiting order.
    places: Vec<(u32, u32)>,
    copy: String,
}

/// Texts past which a file's scratch is dropped, not kept for the next
/// file (a huge file's tables would stay on the peak to the end).
const MAX_KEPT_TEXTS: usize = 4096;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

impl<'a> FileFacts<'a> {
    /// The same facts, their texts copied into one buffer held by `store`
    /// for `file` (each distinct text once). The file's own buffer can then
    /// go with its documents.
    pub fn held_in(self, store: &TextStore, file: FileId) -> FileFacts<'_> {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.held_with(store, file, &mut scratch),
            // Not reentrant; this is never reached.
            Err(_) => self.held_with(store, file, &mut Scratch::default()),
        })
    }

    fn held_with<'s>(
        self,
        store: &'s TextStore,
        file: FileId,
        scratch: &mut Scratch,
    ) -> FileFacts<'s> {
        let Scratch { seen, places, copy } = scratch;
        seen.clear();
        places.clear();
        copy.clear();
        let facts = self.rehome(&mut |s: &'a str| {
            let place = *seen
                .entry((s.as_ptr() as usize, s.len()))
                .or_insert_with(|| {
                    let start = u32::try_from(copy.len()).unwrap_or(u32::MAX);
                    copy.push_str(s);
                    (start, u32::try_from(s.len()).unwrap_or(u32::MAX))
                });
            places.push(place);
            s
        });
        // Ids are the inputs' indexes, each read once: the slot is free.
        // (Copied at its length: held to the end of the run.)
        let held = store.hold_text(file, copy.as_str().into()).unwrap_or("");
        let mut at = places.iter();
        let facts = facts.rehome(&mut |_| {
            at.next()
                .and_then(|&(start, len)| held.get(start as usize..(start as usize + len as usize)))
                .unwrap_or("")
        });
        if places.len() > MAX_KEPT_TEXTS {
            *scratch = Scratch::default();
        }
        facts
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::load::{self, DocKind};
    use crate::model::read_k8s::read_file;

    /// Every kind of text the facts hold, and data they do not.
    const FILE: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: web
  labels: {app: shop, tier: front}
  annotations: {note: "keep me"}
spec:
  selector:
    matchLabels: {app: shop}
    matchExpressions:
      - {key: tier, operator: In, values: [front, edge]}
  template:
    metadata:
      labels: {app: shop, tier: front}
      annotations: {sidecar.istio.io/inject: "true"}
    spec:
      containers:
        - name: web
          image: shop:1.2
          command: [serve, --port, "8080"]
          ports: [{name: http, containerPort: 8080, protocol: TCP}]
          readinessProbe: {httpGet: {path: /, port: http}}
          env: [{name: MODE, value: fast}, {name: EMPTY}]
---
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: web}
spec:
  selector: {app: shop}
  ports:
    - {name: http, port: 80, targetPort: http, appProtocol: http}
    - {port: 81, targetPort: 9090, protocol: UDP}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: big}
data:
  blob: "a long value that no fact reads, a long value that no fact reads"
"#;

    #[test]
    fn facts_keep_every_text_and_hold_only_theirs() {
        let lf = load::load(0, "shop.yaml", FILE);
        let kinds = vec![DocKind::K8s; lf.docs.len()];
        let facts = || read_file(&lf.docs, &kinds, "default", |_, _| {});
        let before = format!("{:?}", facts());
        let store = TextStore::new(2);
        let facts = facts().held_in(&store, 0);
        // Same facts (every field, in place: a moved text would show).
        assert_eq!(format!("{facts:?}"), before);
        assert_eq!(facts.objects.len(), 3);
        assert_eq!(facts.templates[0].containers[0].image, "shop:1.2");
        // Only the texts the facts use are held, each once.
        let held = store.held(0).unwrap();
        assert!(!held.contains("no fact reads"), "{held}");
        assert_eq!(held.matches("shop:1.2").count(), 1);
        assert!(held.len() < FILE.len() / 3, "{}", held.len());
        // The slot is taken: a second hold is refused, not overwritten.
        assert!(store.hold_text(0, "x".into()).is_none());
        assert!(store.hold_text(7, "x".into()).is_none());
        // The next file on this thread holds its own texts only (the
        // scratch is reused, not carried over).
        let lf = load::load(
            1,
            "ns.yaml",
            "{apiVersion: v1, kind: Namespace, metadata: {name: web}}",
        );
        let facts = read_file(&lf.docs, &[DocKind::K8s], "default", |_, _| {}).held_in(&store, 1);
        assert_eq!(facts.objects[0].name, "web");
        assert_eq!(store.held(1).unwrap(), "v1Namespacewebdefault");
    }
}
