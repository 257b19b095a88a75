//! The calls: the workgroup's result settings (GetWorkGroup), the query started
//! (StartQueryExecution), polled (GetQueryExecution) or stopped (StopQueryExecution), and its
//! results read page by page (GetQueryResults).

use super::errors::{failure_details, failure_hint, from_sdk, FailureContext, Place};
use super::results::{check_header, parse_row};
use super::{Athena, AthenaError, AthenaRow};
use aws_sdk_athena::types::{
    QueryExecutionContext, QueryExecutionState, ResultConfiguration, WorkGroup, WorkGroupState,
};
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::Instant;

/// The first wait between polls; it doubles up to [`LAST_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(200);
const LAST_POLL: Duration = Duration::from_secs(5);
/// Rows asked per GetQueryResults page (Athena's maximum).
const PAGE_ROWS: i32 = 1000;

impl Athena {
    fn place(&self) -> Place<'_> {
        Place {
            workgroup: &self.workgroup,
            region: &self.region,
            endpoint: &self.endpoint,
        }
    }

    /// The result location to send with the query: none when the workgroup manages its results
    /// or enforces its own settings (sending one then fails the query: opencost #3257), the
    /// configured one otherwise, none when only the workgroup has one.
    pub(super) async fn result_location(&self) -> Result<Option<String>, AthenaError> {
        let out = self
            .client
            .get_work_group()
            .work_group(&self.workgroup)
            .send()
            .await
            .map_err(|e| from_sdk("GetWorkGroup", &self.place(), e))?;
        let Some(wg) = out.work_group() else {
            return Err(AthenaError::WorkgroupMissing {
                workgroup: self.workgroup.clone(),
                region: self.region.clone(),
            });
        };
        decide(wg, &self.workgroup, self.output_location.as_deref())
    }

    /// Starts the query; its execution id.
    pub(super) async fn start(
        &self,
        sql: String,
        output_location: Option<String>,
    ) -> Result<String, AthenaError> {
        let context = QueryExecutionContext::builder()
            .database(&self.database)
            .catalog(&self.catalog)
            .build();
        let result =
            output_location.map(|l| ResultConfiguration::builder().output_location(l).build());
        let out = self
            .client
            .start_query_execution()
            .query_string(sql)
            .work_group(&self.workgroup)
            .query_execution_context(context)
            .client_request_token(request_token()?)
            .set_result_configuration(result)
            .send()
            .await
            .map_err(|e| from_sdk("StartQueryExecution", &self.place(), e))?;
        out.query_execution_id()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| AthenaError::Call {
                action: "athena:StartQueryExecution".into(),
                detail: "Athena answered without a query execution id".into(),
            })
    }

    /// Polls until the query succeeds (Ok), fails, is cancelled or runs out of time (then it is
    /// stopped).
    pub(super) async fn wait(&self, id: &str) -> Result<(), AthenaError> {
        let deadline = Instant::now() + self.timeout;
        let mut pause = FIRST_POLL;
        loop {
            let out = match self
                .client
                .get_query_execution()
                .query_execution_id(id)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    // Not knowing how it goes, stop it rather than leave it running (and billed).
                    self.stop(id).await;
                    return Err(from_sdk("GetQueryExecution", &self.place(), e));
                }
            };
            let status = out.query_execution().and_then(|q| q.status());
            let state = status.and_then(|s| s.state());
            let reason = status
                .and_then(|s| s.state_change_reason())
                .unwrap_or("")
                .to_owned();
            match state {
                Some(QueryExecutionState::Succeeded) => return Ok(()),
                Some(QueryExecutionState::Failed) => {
                    let error = status.and_then(|s| s.athena_error());
                    let reason = if reason.is_empty() {
                        error
                            .and_then(|e| e.error_message())
                            .unwrap_or("Athena gave no reason")
                            .to_owned()
                    } else {
                        reason
                    };
                    let hint = failure_hint(
                        &reason,
                        &FailureContext {
                            database: &self.database,
                            table: &self.table,
                            catalog: &self.catalog,
                            format: self.format_name(),
                            output_location: self.output_location.as_deref(),
                        },
                    );
                    return Err(AthenaError::Failed {
                        id: id.to_owned(),
                        reason,
                        details: failure_details(
                            error.and_then(|e| e.error_category()),
                            error.and_then(|e| e.error_type()),
                        ),
                        hint,
                    });
                }
                Some(QueryExecutionState::Cancelled) => {
                    return Err(AthenaError::Cancelled {
                        id: id.to_owned(),
                        reason: if reason.is_empty() {
                            String::new()
                        } else {
                            format!(" ({reason})")
                        },
                    })
                }
                Some(QueryExecutionState::Queued | QueryExecutionState::Running) => {}
                other => {
                    self.stop(id).await;
                    return Err(AthenaError::Call {
                        action: "athena:GetQueryExecution".into(),
                        detail: format!(
                            "query {id} is in a state Nagare does not know: {}",
                            other.map_or_else(|| "none".to_owned(), |s| s.as_str().to_owned())
                        ),
                    });
                }
            }
            let now = Instant::now();
            if now >= deadline {
                let stopped = if self.stop(id).await {
                    "; Nagare stopped it".to_owned()
                } else {
                    "; stopping it failed too, so stop it in the Athena console".to_owned()
                };
                return Err(AthenaError::Timeout {
                    id: id.to_owned(),
                    secs: self.timeout.as_secs(),
                    stopped,
                });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(LAST_POLL);
        }
    }

    /// Stops a query; whether Athena took it (a failure is logged).
    async fn stop(&self, id: &str) -> bool {
        match self
            .client
            .stop_query_execution()
            .query_execution_id(id)
            .send()
            .await
        {
            Ok(_) => {
                tracing::info!(query = id, "Athena query stopped");
                true
            }
            Err(e) => {
                let e = from_sdk("StopQueryExecution", &self.place(), e);
                tracing::warn!(query = id, error = %e, "could not stop the Athena query");
                false
            }
        }
    }

    /// The query's rows, every page; the header row (first of the first page) checked and
    /// skipped.
    pub(super) async fn read(&self, id: &str) -> Result<Vec<AthenaRow>, AthenaError> {
        let mut token: Option<String> = None;
        let mut tokens = HashSet::new();
        let mut out = Vec::new();
        let mut header_seen = false;
        let mut row = 0u64;
        loop {
            let page = self
                .client
                .get_query_results()
                .query_execution_id(id)
                .max_results(PAGE_ROWS)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| from_sdk("GetQueryResults", &self.place(), e))?;
            let rows = page.result_set().map(|r| r.rows()).unwrap_or_default();
            let mut rows = rows.iter();
            if !header_seen {
                let Some(header) = rows.next() else {
                    return Err(AthenaError::Results {
                        id: id.to_owned(),
                        detail: "the first page has no header row".into(),
                    });
                };
                let names: Vec<Option<&str>> =
                    header.data().iter().map(|d| d.var_char_value()).collect();
                check_header(id, &names, self.tags.len())?;
                header_seen = true;
            }
            for r in rows {
                row += 1;
                let values: Vec<Option<&str>> =
                    r.data().iter().map(|d| d.var_char_value()).collect();
                out.push(parse_row(id, row, &values, &self.tags)?);
            }
            match page.next_token().filter(|t| !t.is_empty()) {
                Some(t) => {
                    if !tokens.insert(t.to_owned()) {
                        return Err(AthenaError::Results {
                            id: id.to_owned(),
                            detail: "GetQueryResults gave the same NextToken twice".into(),
                        });
                    }
                    token = Some(t.to_owned());
                }
                None => return Ok(out),
            }
        }
    }
}

/// What to send as the result location, from the workgroup's settings.
fn decide(
    wg: &WorkGroup,
    name: &str,
    configured: Option<&str>,
) -> Result<Option<String>, AthenaError> {
    if wg.state() == Some(&WorkGroupState::Disabled) {
        return Err(AthenaError::WorkgroupDisabled {
            workgroup: name.to_owned(),
        });
    }
    let settings = wg.configuration();
    let managed = settings
        .and_then(|c| c.managed_query_results_configuration())
        .is_some_and(|m| m.enabled());
    let enforced = settings
        .and_then(|c| c.enforce_work_group_configuration())
        .unwrap_or(false);
    let own = settings
        .and_then(|c| c.result_configuration())
        .and_then(|r| r.output_location())
        .is_some_and(|l| !l.trim().is_empty());
    if managed || enforced {
        if let Some(location) = configured {
            tracing::info!(
                workgroup = name,
                ignored = location,
                why = if managed {
                    "the workgroup manages its query results"
                } else {
                    "the workgroup enforces its own settings"
                },
                "cost.athena.output_location is not sent"
            );
        }
        if !managed && !own {
            return Err(AthenaError::EnforcedWithoutLocation {
                workgroup: name.to_owned(),
            });
        }
        return Ok(None);
    }
    match configured {
        Some(location) => Ok(Some(location.to_owned())),
        None if own => Ok(None),
        None => Err(AthenaError::NoOutputLocation {
            workgroup: name.to_owned(),
        }),
    }
}

/// A fresh ClientRequestToken (32 hex digits), so a retried start runs the query once.
fn request_token() -> Result<String, AthenaError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| AthenaError::Call {
        action: "athena:StartQueryExecution".into(),
        detail: format!("no random bytes for the request token: {e}"),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
