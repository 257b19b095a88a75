//! The GitLab client's contract: pipelines created, retried, cancelled and read, and GitLab's
//! refusals.

use super::mock::{Creds, Expect, Mock, GITLAB_TOKEN};
use super::{inputs, said};
use nagare_server::triggers::gitlab::{GitlabClient, GitlabError, Pipeline};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const PROJECT: &str = "platform/deploy/web-app";
const PROJECT_PATH: &str = "/api/v4/projects/platform%2Fdeploy%2Fweb-app";

fn gitlab(mock: &Mock) -> GitlabClient {
    GitlabClient::new(&mock.base(), GITLAB_TOKEN.into()).unwrap()
}

fn pipeline(id: u64, status: &str) -> Value {
    json!({
        "id": id,
        "iid": 87,
        "project_id": 278964,
        "sha": "a91957a858320c0e17f3a0eca7cfacbff50ea29a",
        "ref": "main",
        "status": status,
        "source": "api",
        "created_at": "2025-06-01T10:00:01.017Z",
        "updated_at": "2025-06-01T10:00:01.017Z",
        "web_url": format!("https://gitlab.com/platform/deploy/web-app/-/pipelines/{id}"),
        "before_sha": "0000000000000000000000000000000000000000",
        "tag": false,
        "yaml_errors": null,
        "user": {"id": 1, "username": "alice", "name": "Alice"},
        "detailed_status": {"icon": "status_created", "text": "Created", "group": status},
    })
}

#[tokio::test]
async fn a_gitlab_pipeline_is_created_with_typed_inputs_and_variables() {
    let mock = Mock::start().await;
    mock.expect(
        Expect::new("POST", format!("{PROJECT_PATH}/pipeline"), Creds::Gitlab)
            .body(json!({
                "ref": "main",
                "inputs": {"environment": "staging", "replicas": 3, "canary": true, "regions": ["eu", "us"]},
                "variables": [
                    {"key": "DEPLOY_REASON", "value": "hotfix INC-12", "variable_type": "env_var"},
                    {"key": "LOG_LEVEL", "value": "debug", "variable_type": "env_var"},
                ]
            }))
            .answer(201, pipeline(1234, "created")),
    );
    mock.expect(
        Expect::new("POST", format!("{PROJECT_PATH}/pipeline"), Creds::Gitlab)
            .body(json!({"ref": "main"}))
            .answer(201, pipeline(1235, "created")),
    );
    let gl = gitlab(&mock);
    let typed: BTreeMap<String, Value> = [
        ("environment", json!("staging")),
        ("replicas", json!(3)),
        ("canary", json!(true)),
        ("regions", json!(["eu", "us"])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let vars = inputs(&[("LOG_LEVEL", "debug"), ("DEPLOY_REASON", "hotfix INC-12")]);
    let p = gl
        .create_pipeline(PROJECT, "main", &typed, &vars)
        .await
        .unwrap();
    assert_eq!(
        p,
        Pipeline {
            id: 1234,
            iid: Some(87),
            web_url: "https://gitlab.com/platform/deploy/web-app/-/pipelines/1234".into(),
            status: "created".into(),
            sha: Some("a91957a858320c0e17f3a0eca7cfacbff50ea29a".into()),
            git_ref: "main".into(),
        }
    );
    let bare = gl
        .create_pipeline(PROJECT, "main", &BTreeMap::new(), &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(bare.id, 1235);
    mock.finish();
}

#[tokio::test]
async fn a_gitlab_pipeline_is_retried_cancelled_and_read() {
    let mock = Mock::start().await;
    let p = format!("{PROJECT_PATH}/pipelines/1234");
    mock.expect(
        Expect::new("POST", format!("{p}/retry"), Creds::Gitlab)
            .answer(201, pipeline(1234, "pending")),
    );
    mock.expect(
        Expect::new("POST", format!("{p}/cancel"), Creds::Gitlab)
            .answer(200, pipeline(1234, "canceled")),
    );
    mock.expect(
        Expect::new("GET", p.clone(), Creds::Gitlab).answer(200, pipeline(1234, "canceled")),
    );
    let gl = gitlab(&mock);
    assert_eq!(gl.retry(PROJECT, 1234).await.unwrap().status, "pending");
    assert_eq!(gl.cancel(PROJECT, 1234).await.unwrap().status, "canceled");
    assert_eq!(gl.pipeline(PROJECT, 1234).await.unwrap().id, 1234);
    mock.finish();
}

#[tokio::test]
async fn gitlab_s_refusals_say_what_to_fix() {
    let mock = Mock::start().await;
    let create = format!("{PROJECT_PATH}/pipeline");
    let refused =
        "`environment` input: `qa` cannot be used because it is not in the list of allowed options";
    mock.expect(
        Expect::new("POST", create.clone(), Creds::Gitlab)
            .body(json!({"ref": "main", "inputs": {"environment": "qa"}}))
            .answer(400, json!({"message": {"base": [refused]}})),
    );
    mock.expect(
        Expect::new("POST", create.clone(), Creds::Gitlab)
            .body(json!({"ref": "main"}))
            .answer(403, json!({"message": "403 Forbidden"})),
    );
    mock.expect(
        Expect::new("GET", format!("{PROJECT_PATH}/pipelines/9"), Creds::Gitlab)
            .answer(404, json!({"message": "404 Project Not Found"})),
    );
    mock.expect(
        Expect::new("POST", create, Creds::Gitlab)
            .body(json!({"ref": "main"}))
            .answer(
                400,
                json!({"message": {"base": [format!("token {GITLAB_TOKEN} is odd")]}}),
            ),
    );
    let gl = gitlab(&mock);
    let qa: BTreeMap<String, Value> = [("environment".to_owned(), json!("qa"))].into();
    let e = gl
        .create_pipeline(PROJECT, "main", &qa, &BTreeMap::new())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        GitlabError::BadRequest {
            message: refused.into()
        }
    );
    assert!(said(&e).contains(refused));
    let none = BTreeMap::new();
    let e = gl
        .create_pipeline(PROJECT, "main", &none, &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(matches!(e, GitlabError::Forbidden { .. }), "{e:?}");
    let text = said(&e);
    assert!(
        text.contains("`api` scope") && text.contains("Developer"),
        "{text}"
    );
    let e = gl.pipeline(PROJECT, 9).await.unwrap_err();
    assert!(
        said(&e).starts_with("pipeline 9 of platform/deploy/web-app not found"),
        "{e}"
    );
    let e = gl
        .create_pipeline(PROJECT, "main", &none, &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(said(&e).contains("[redacted]"), "{e}");
    mock.finish();
}
