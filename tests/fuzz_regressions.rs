//! Replays every saved fuzz input (`testdata/fuzz/<target>/*`: crashes found
//! by `fuzz/`, and hostile samples) through the fuzz targets' bodies, on
//! stable. A crash file added there stays a regression test.

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fuzz")
        .join(target);
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    for p in entries {
        let Ok(data) = std::fs::read(&p) else {
            continue;
        };
        eprintln!("{}", p.display());
        f(&data);
        n += 1;
    }
    n
}

#[test]
fn yaml_inputs() {
    assert!(replay("yaml", confaudit::fuzzing::yaml) > 0);
}

#[test]
fn json_inputs() {
    assert!(replay("json", confaudit::fuzzing::json) > 0);
}

#[test]
fn nginx_inputs() {
    assert!(replay("nginx", confaudit::fuzzing::nginx) > 0);
}

#[test]
fn pipeline_inputs() {
    assert!(replay("pipeline", confaudit::fuzzing::pipeline) > 0);
}

#[test]
fn schema_inputs() {
    assert!(replay("schema", confaudit::fuzzing::schema) > 0);
}
