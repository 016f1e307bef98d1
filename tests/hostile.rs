//! Hostile input: every run completes with a clear finding or skip reason,
//! and the other files are still analysed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;

/// A directory holding one real finding (K8S007, an invalid port): it
/// proves the hostile input beside it does not hide results.
fn dir_with_a_finding() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports: [{port: 99999}]\n",
    )
    .unwrap();
    dir
}

fn run_on(files: &[(&str, Vec<u8>)]) -> serde_json::Value {
    let dir = dir_with_a_finding();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}", out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "K8S007"),
        "other files still analysed"
    );
    v
}

fn rules_at(v: &serde_json::Value, path_end: &str) -> Vec<(String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["path"].as_str().unwrap().ends_with(path_end))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn invalid_utf8_is_a_finding_at_the_byte() {
    let v = run_on(&[(
        "bad.yaml",
        b"kind: Service\nmetadata:\n  name: \xff\n".to_vec(),
    )]);
    assert_eq!(rules_at(&v, "bad.yaml"), vec![("CA001".to_string(), 3)]);
}

#[test]
fn binary_and_utf16_files_are_skipped_with_a_reason() {
    let v = run_on(&[
        ("bin.yaml", vec![0, 1, 2, 3]),
        ("u16.yaml", vec![0xFF, 0xFE, b'a', 0]),
    ]);
    let skipped = v["summary"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
}

#[test]
fn alias_bombs_and_deep_nesting_are_bounded() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..60 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    let deep = "[".repeat(50_000);
    let indent: String = (0..2000)
        .map(|i| format!("{}k:\n", "  ".repeat(i)))
        .collect();
    let v = run_on(&[
        ("bomb.yaml", bomb.into_bytes()),
        ("deep.yaml", deep.into_bytes()),
        ("indent.yaml", indent.into_bytes()),
    ]);
    assert!(!rules_at(&v, "deep.yaml").is_empty());
    assert!(!rules_at(&v, "indent.yaml").is_empty());
}

#[test]
fn many_documents_are_capped() {
    let docs = "---\na: 1\n".repeat(210_000);
    let v = run_on(&[("docs.yaml", docs.into_bytes())]);
    assert!(rules_at(&v, "docs.yaml").iter().any(|(r, _)| r == "CA004"));
}

#[test]
fn pairwise_findings_at_one_place_are_capped_and_counted() {
    // 60 Gateways serving one host on the same pods: each host line
    // conflicts with 59 others. 32 are listed there, and one more finding
    // says how many are not (it was millions of findings at 2,000).
    let gateways: String = (0..60)
        .map(|i| {
            format!(
                "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: g{i}, namespace: ns{i}}}\nspec:\n  selector: {{istio: ingressgateway}}\n  servers:\n  - port: {{number: 80, name: http, protocol: HTTP}}\n    hosts: ['*.example.com']\n"
            )
        })
        .collect();
    let v = run_on(&[("gateways.yaml", gateways.into_bytes())]);
    let at_first: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ISTIO009" && f["location"]["start"]["line"] == 9)
        .collect();
    assert_eq!(at_first.len(), 33);
    let counted = at_first
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("27 more ISTIO009 findings")
        })
        .count();
    assert_eq!(counted, 1);
}

#[test]
fn an_nginx_configuration_past_its_include_reads_says_where_it_stops() {
    // 101 files each including the same 100: 10,201 reads, past the 10,000
    // one configuration may make. Before, it stopped without a word.
    let mut files = vec![(
        "nginx.conf".to_string(),
        b"events {}\nhttp {\n    include a/*.conf;\n}\n".to_vec(),
    )];
    for i in 0..101 {
        files.push((format!("a/{i}.conf"), b"include b/*.conf;\n".to_vec()));
    }
    for i in 0..100 {
        let server = format!("server {{ listen {}; }}\n", 8000 + i);
        files.push((format!("b/{i}.conf"), server.into_bytes()));
    }
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let v = run_on(&refs);
    let stops: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NGX000")
        .collect();
    assert_eq!(stops.len(), 1, "{stops:?}");
    let message = stops[0]["message"].as_str().unwrap();
    assert!(
        message.contains("checked only up to this include"),
        "{message}"
    );
    assert!(message.contains("10000 included files"), "{message}");
    let path = stops[0]["location"]["path"].as_str().unwrap();
    assert!(path.contains("a/") && path.ends_with(".conf"), "{path}");
}

/// The human report on a directory, from a run that ended normally.
fn human_output(dir: &std::path::Path) -> String {
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg(dir)
        .args(["--format", "human", "--color", "never"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn human_output_on_one_long_line_is_clipped_not_a_panic() {
    // Minified JSON: 600 Services on one line of ~90,000 columns, each a
    // finding. miette panicked past 65,535 columns; the snippets printed
    // the whole line for every finding.
    let items: Vec<String> = (0..600)
        .map(|i| {
            format!(
                r#"{{"apiVersion":"v1","kind":"Service","metadata":{{"name":"s{i}","namespace":"ns"}},"spec":{{"selector":{{"app":"a{i}"}},"ports":[{{"port":80}}]}}}}"#
            )
        })
        .collect();
    let list = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#,
        items.join(",")
    );
    assert!(list.len() > 70_000);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("list.json"), &list).unwrap();
    let text = human_output(dir.path());
    let last = list.rfind(r#"{"app":"a599"}"#).unwrap() + 1;
    assert!(
        text.contains(&format!("list.json:1:{last}]")),
        "{text:.2000}"
    );
    assert!(text.len() < 600 * 2_000, "{} bytes", text.len());
}

#[test]
fn labels_with_a_long_line_between_them_get_their_own_snippets() {
    // The probe's port and the UDP port it names, 6 lines apart, with a
    // 2,000-byte comment between: miette merged their snippets and the
    // clip kept only the first line, so the finding's own line was lost.
    let comment = "x".repeat(2_000);
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchLabels: {{app: a}}\n  template:\n    metadata:\n      labels: {{app: a}}\n    spec:\n      containers:\n        - name: c\n          image: x\n          ports:\n            - name: h\n              containerPort: 80\n              protocol: UDP\n          # {comment}\n          readinessProbe:\n            tcpSocket:\n              port: h\n"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.yaml"), deployment).unwrap();
    let text = human_output(dir.path());
    assert!(text.contains("K8S006"), "{text}");
    assert!(text.contains(" 22 │               port: h"), "{text}");
    assert!(text.contains(" 16 │             - name: h"), "{text}");
    assert!(!text.contains(&comment), "{text}");
}

#[test]
fn an_nginx_file_ending_in_many_open_blocks_lists_some_of_them() {
    let open: String = (0..30).map(|i| format!("location /l{i} {{\n")).collect();
    let v = run_on(&[(
        "nginx.conf",
        format!("http {{\nserver {{\n{open}").into_bytes(),
    )]);
    let eof: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "CA001" && f["message"].as_str().unwrap().contains("end of file"))
        .collect();
    assert_eq!(eof.len(), 1, "{eof:?}");
    assert_eq!(eof[0]["related"].as_array().unwrap().len(), 16);
    let message = eof[0]["message"].as_str().unwrap();
    assert!(
        message.ends_with("(16 more related places are not listed; 16 are)"),
        "{message}"
    );
}

#[test]
fn human_output_writes_no_terminal_control_characters() {
    // An escape sequence in a config (a comment, a name, a file name) was
    // written to the terminal as is: it could clear the screen, retitle
    // the window or hide text. JSON escapes it; the human format now does.
    let dir = tempfile::tempdir().unwrap();
    // A name escaped in YAML (valid), and raw bytes YAML rejects (CA001,
    // whose snippet shows the line).
    let named = "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"evil\\e[31mred\\rcr\\u202Etxt\"\nspec:\n  selector: {app: x}\n  ports:\n    - port: 99999\n";
    std::fs::write(dir.path().join("named.yaml"), named).unwrap();
    let raw = "a: 1 # \u{1b}]0;title\u{7}\u{1b}[2J \u{202E}txt\n";
    std::fs::write(dir.path().join("a\u{1b}[2Jb.yaml"), raw).unwrap();
    let text = human_output(dir.path());
    assert!(text.contains("K8S007") && text.contains("CA001"), "{text}");
    let bad: Vec<char> = text
        .chars()
        .filter(|c| (c.is_control() && *c != '\n') || *c == '\u{202E}')
        .collect();
    assert!(bad.is_empty(), "{bad:?} in {text}");
}

#[test]
fn oversized_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.yaml"), "a: 1\n".repeat(1000)).unwrap();
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg(dir.path())
        .args(["--format", "json", "--max-file-size", "1k"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["summary"]["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("limit")
    );
}

/// `confaudit - DIR` with `stdin` and extra arguments; JSON output.
fn run_stdin_beside_a_dir(stdin: Vec<u8>, args: &[&str]) -> serde_json::Value {
    let dir = dir_with_a_finding();
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg("-")
        .arg(dir.path())
        .args(["--format", "json", "--stdin-filename", "in.yaml"])
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(has_rule(&v, "K8S007"), "the directory is still analysed");
    v
}

#[test]
fn stdin_is_read_as_a_file_is() {
    // Past --max-file-size: skipped with the reason, not read to the end.
    let v = run_stdin_beside_a_dir(
        "a: 1\n".repeat(1000).into_bytes(),
        &["--max-file-size", "1k"],
    );
    assert!(
        skipped_reason(&v, "in.yaml").unwrap().contains("limit"),
        "{v}"
    );
    // Not UTF-8: a finding at the byte, not an error for the whole run.
    let v = run_stdin_beside_a_dir(b"a: 1\nb: \xff\n".to_vec(), &[]);
    let at = rules_at(&v, "in.yaml");
    assert_eq!(at, [("CA001".to_string(), 2)], "{v}");
    // Binary: skipped with a reason.
    let v = run_stdin_beside_a_dir(b"a: \x00\n".to_vec(), &[]);
    assert!(
        skipped_reason(&v, "in.yaml").unwrap().contains("binary"),
        "{v}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// Runs confaudit on `dir` and returns (exit code, JSON report).
#[cfg(unix)]
fn run_dir(dir: &std::path::Path, as_nobody: bool) -> (Option<i32>, serde_json::Value) {
    run_dir_with(dir, as_nobody, &[])
}

fn run_dir_with(
    dir: &std::path::Path,
    as_nobody: bool,
    args: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let bin = assert_cmd::cargo::cargo_bin("confaudit");
    let mut cmd = if as_nobody {
        // root reads anything: drop to `nobody` so permissions apply.
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
        ]);
        c.arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .arg(dir)
        .args(["--format", "json", "--no-context"])
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{out:?}"
    );
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    (out.status.code(), v)
}

#[cfg(unix)]
fn skipped_reason(v: &serde_json::Value, path_end: &str) -> Option<String> {
    v["summary"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with(path_end))
        .map(|s| s["reason"].as_str().unwrap().to_string())
}

#[cfg(unix)]
fn has_rule(v: &serde_json::Value, rule: &str) -> bool {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == rule)
}

const BAD_SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports: [{port: 99999}]\n";

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_reported_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(root.join("svc.yaml"), BAD_SERVICE).unwrap();
    std::fs::set_permissions(
        root.join("svc.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::write(root.join("secret.yaml"), "a: 1\n").unwrap();
    std::fs::set_permissions(
        root.join("secret.yaml"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::create_dir(root.join("private")).unwrap();
    std::fs::write(root.join("private/x.yaml"), "a: 1\n").unwrap();
    std::fs::set_permissions(root.join("private"), std::fs::Permissions::from_mode(0o000)).unwrap();

    // Permissions do not stop root: run as `nobody` then (setpriv, util-linux).
    let privileged = std::fs::read(root.join("secret.yaml")).is_ok();
    if privileged
        && std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_err()
    {
        eprintln!("skipped: running as root without setpriv");
        return;
    }
    let (code, v) = run_dir(root, privileged);
    assert_eq!(code, Some(1), "{v}");
    assert!(has_rule(&v, "K8S007"), "the readable file is analysed: {v}");
    let file = skipped_reason(&v, "secret.yaml").expect("unreadable file listed");
    assert!(file.contains("unreadable"), "{file}");
    let dir_reason = skipped_reason(&v, "private").expect("unreadable directory listed");
    assert!(dir_reason.contains("unreadable"), "{dir_reason}");
    // One thread walks with one walker, several with another: same words.
    for threads in ["1", "2"] {
        let (_, again) = run_dir_with(root, privileged, &["--threads", threads]);
        assert_eq!(again, v, "--threads {threads}");
    }
    std::fs::set_permissions(root.join("private"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn fifos_and_links_are_skipped_with_a_reason_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("svc.yaml"), BAD_SERVICE).unwrap();
    // A FIFO would block a read forever.
    let made = std::process::Command::new("mkfifo")
        .arg(root.join("pipe.yaml"))
        .status()
        .is_ok_and(|s| s.success());
    std::os::unix::fs::symlink("/nowhere/at/all.yaml", root.join("dangling.yaml")).unwrap();
    std::os::unix::fs::symlink(root.join("svc.yaml"), root.join("link.yaml")).unwrap();
    let (code, v) = run_dir(root, false);
    assert_eq!(code, Some(1));
    assert!(has_rule(&v, "K8S007"));
    if made {
        assert!(
            skipped_reason(&v, "pipe.yaml")
                .unwrap()
                .contains("not a regular file")
        );
        // Named on the command line too.
        let out = Command::cargo_bin("confaudit")
            .unwrap()
            .arg(root.join("pipe.yaml"))
            .args(["--format", "json", "--no-context"])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            skipped_reason(&v, "pipe.yaml")
                .unwrap()
                .contains("not a regular file")
        );
    }
    assert!(
        skipped_reason(&v, "dangling.yaml")
            .unwrap()
            .contains("symbolic link")
    );
    assert!(
        skipped_reason(&v, "link.yaml")
            .unwrap()
            .contains("symbolic link")
    );
    // The link's target is reported once, under its own name.
    let k8s007 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "K8S007")
        .count();
    assert_eq!(k8s007, 1);
}

/// The tool executes nothing, opens no socket and writes only `--output`
/// (checked with strace where it is installed).
#[cfg(target_os = "linux")]
#[test]
fn never_executes_connects_or_writes_except_output() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("skipped: strace not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("svc.yaml"), BAD_SERVICE).unwrap();
    std::fs::write(
        tree.join("nginx.conf"),
        "http { server { listen 80; location / { proxy_pass http://a; } } include /etc/passwd; }\n",
    )
    .unwrap();
    let trace = dir.path().join("trace");
    let report = dir.path().join("report.json");
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&trace)
        .args(["-e", "trace=execve,execveat,fork,vfork,clone3,socket,connect,openat,open,creat,rename,unlink,unlinkat,mkdir"])
        .arg(assert_cmd::cargo::cargo_bin("confaudit"))
        .arg(&tree)
        .args(["--format", "json", "--no-context", "--output"])
        .arg(&report)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let trace = std::fs::read_to_string(&trace).unwrap();
    let report_s = report.to_string_lossy().to_string();
    let mut execs = 0;
    for line in trace.lines() {
        let call = line
            .split_once(' ')
            .map(|(_, c)| c.trim_start())
            .unwrap_or(line);
        if call.starts_with("execve") || call.starts_with("execveat") {
            execs += 1;
        }
        assert!(
            !call.starts_with("socket(") && !call.starts_with("connect("),
            "network: {line}"
        );
        assert!(
            !call.starts_with("fork") && !call.starts_with("vfork"),
            "{line}"
        );
        for bad in ["creat(", "rename(", "unlink", "mkdir("] {
            assert!(!call.starts_with(bad), "file system write: {line}");
        }
        if call.starts_with("open") && (call.contains("O_WRONLY") || call.contains("O_RDWR")) {
            assert!(
                call.contains(&report_s) || call.contains("/dev/"),
                "writes only --output: {line}"
            );
        }
        assert!(
            !call.contains("/etc/passwd"),
            "include outside the tree read: {line}"
        );
    }
    assert_eq!(execs, 1, "only the program itself is executed:\n{trace}");
    assert!(std::fs::read_to_string(&report).unwrap().contains("K8S007"));
}

#[test]
fn files_with_cr_line_endings_have_lines_and_suppressions_as_with_lf() {
    // Classic Mac OS endings: YAML reads a lone CR as a line break, so
    // positions and `# confaudit:ignore` scopes must too (one line to the
    // position index made one comment silence the whole file).
    let lf = std::fs::read_to_string("testdata/cases/suppressions.yaml").unwrap();
    let cr = lf.replace('\n', "\r");
    let crlf = lf.replace('\n', "\r\n");
    let v = run_on(&[
        ("lf.yaml", lf.into_bytes()),
        ("cr.yaml", cr.into_bytes()),
        ("crlf.yaml", crlf.into_bytes()),
    ]);
    let want = rules_at(&v, "/lf.yaml");
    assert!(
        want.len() >= 3 && want.iter().any(|(_, l)| *l > 20),
        "{want:?}"
    );
    assert_eq!(rules_at(&v, "/cr.yaml"), want);
    assert_eq!(rules_at(&v, "/crlf.yaml"), want);
}
