//! What can go wrong asking Athena, each said with what to fix. Nothing here ever holds a
//! credential: the SDK's errors carry none, and Athena's messages name identities by ARN only.

use aws_sdk_athena::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// An Athena failure, and what to change.
#[derive(Debug, thiserror::Error)]
pub enum AthenaError {
    /// A setting is wrong; the message names it and the fix.
    #[error("{0}")]
    Config(String),
    #[error("billing period `{0}` is not YYYY-MM (for example 2024-05)")]
    Period(String),
    #[error(
        "no AWS credentials for Athena: {0}; give them as AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, a profile (cost.s3.profile, AWS_PROFILE, ~/.aws/config; `aws sso \
         login` for IAM Identity Center ones), web identity (AWS_WEB_IDENTITY_TOKEN_FILE, \
         AWS_ROLE_ARN), or an ECS task or EC2 instance role"
    )]
    Credentials(String),
    #[error(
        "Athena refused the AWS credentials ({0}); check the keys (AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, or the profile's), that a session has not expired (`aws sso \
         login` again), and that this host's clock is right"
    )]
    CredentialsRefused(String),
    #[error(
        "cannot reach Athena at {endpoint} ({detail}); check cost.athena.region (and \
         cost.athena.endpoint if set) and that this host can reach it"
    )]
    Connect { endpoint: String, detail: String },
    #[error(
        "access denied calling {action} ({message}); allow {action} to this identity in IAM{hint}"
    )]
    AccessDenied {
        /// The IAM action of the call refused, `athena:StartQueryExecution`.
        action: String,
        message: String,
        /// More permissions the message points at (S3, Glue), or empty.
        hint: String,
    },
    #[error(
        "workgroup `{workgroup}` does not exist in region {region}: create it or fix \
         cost.athena.workgroup (or cost.athena.region)"
    )]
    WorkgroupMissing { workgroup: String, region: String },
    #[error(
        "workgroup `{workgroup}` is disabled: enable it in the Athena console (Workgroups) or \
         set cost.athena.workgroup to another"
    )]
    WorkgroupDisabled { workgroup: String },
    #[error(
        "workgroup `{workgroup}` has no query result location and does not manage its results, \
         and cost.athena.output_location is not set: set cost.athena.output_location to \
         s3://bucket/prefix/, or enable managed query results on the workgroup"
    )]
    NoOutputLocation { workgroup: String },
    #[error(
        "workgroup `{workgroup}` enforces its own settings but has no query result location \
         and does not manage its results (cost.athena.output_location is ignored then): give the \
         workgroup a query result location, or enable managed query results on it"
    )]
    EnforcedWithoutLocation { workgroup: String },
    #[error(
        "Athena kept throttling {action} after retries ({message}); run fewer Athena clients at \
         once, or ask AWS for a higher Athena quota"
    )]
    Throttled { action: String, message: String },
    /// Another error Athena answered a call with.
    #[error("Athena refused {action}: {code}: {message}")]
    Api {
        action: String,
        code: String,
        message: String,
    },
    /// The call failed in the SDK or on the way (not an answer of Athena's).
    #[error("calling {action} failed: {detail}")]
    Call { action: String, detail: String },
    #[error("Athena query {id} failed: {reason}{details}{hint}")]
    Failed {
        id: String,
        /// Athena's `StateChangeReason`.
        reason: String,
        /// Athena's `AthenaError` category and type, when it gave them.
        details: String,
        /// What to change, when the reason says it.
        hint: String,
    },
    #[error(
        "Athena query {id} was cancelled{reason} (someone stopped it, in the console or by \
         StopQueryExecution); the next run asks again"
    )]
    Cancelled { id: String, reason: String },
    #[error(
        "Athena query {id} did not finish within {secs} s{stopped}; raise \
         cost.athena.timeout_secs, or check the workgroup's queue in the Athena console"
    )]
    Timeout {
        id: String,
        secs: u64,
        stopped: String,
    },
    /// The results do not have the shape the query gives.
    #[error("the results of Athena query {id} are not what the query asks for: {detail}")]
    Results { id: String, detail: String },
    #[error(
        "the results of Athena query {id}, row {row}, column {column}: `{value}` is not {expected}"
    )]
    Value {
        id: String,
        /// 1-based data row (the header row not counted).
        row: u64,
        column: String,
        value: String,
        expected: String,
    },
}

/// Whether an error code is a throttling one (the SDK retried it already).
fn throttling(code: &str) -> bool {
    matches!(
        code,
        "TooManyRequestsException" | "ThrottlingException" | "Throttling" | "RequestLimitExceeded"
    )
}

/// Where a call was made: for errors about the workgroup or the endpoint.
pub(super) struct Place<'a> {
    pub workgroup: &'a str,
    pub region: &'a str,
    pub endpoint: &'a str,
}

/// The error of an SDK call of `operation` (`StartQueryExecution`).
pub(super) fn from_sdk<E>(operation: &str, place: &Place<'_>, err: SdkError<E>) -> AthenaError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let action = format!("athena:{operation}");
    match &err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let code = e.code().unwrap_or("").to_owned();
            let message = e.message().unwrap_or("").to_owned();
            service_error(action, code, message, place)
        }
        SdkError::DispatchFailure(d) => {
            let detail = DisplayErrorContext(&err).to_string();
            if d.is_io() || d.is_timeout() {
                AthenaError::Connect {
                    endpoint: place.endpoint.to_owned(),
                    detail,
                }
            } else if credentials_problem(&detail) {
                AthenaError::Credentials(detail)
            } else {
                AthenaError::Call { action, detail }
            }
        }
        SdkError::TimeoutError(_) => AthenaError::Connect {
            endpoint: place.endpoint.to_owned(),
            detail: DisplayErrorContext(&err).to_string(),
        },
        _ => {
            let detail = DisplayErrorContext(&err).to_string();
            if credentials_problem(&detail) {
                AthenaError::Credentials(detail)
            } else {
                AthenaError::Call { action, detail }
            }
        }
    }
}

/// Whether the SDK failed for want of credentials.
fn credentials_problem(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("credentials") || d.contains("identity")
}

fn service_error(action: String, code: String, message: String, place: &Place<'_>) -> AthenaError {
    let lower = message.to_ascii_lowercase();
    if code == "AccessDeniedException"
        || code == "AccessDenied"
        || code == "UnauthorizedOperation"
        || lower.contains("not authorized to perform")
    {
        let hint = permission_hint(&message);
        return AthenaError::AccessDenied {
            action,
            message,
            hint,
        };
    }
    if code == "InvalidRequestException"
        && lower.contains("workgroup")
        && (lower.contains("not found") || lower.contains("does not exist"))
    {
        return AthenaError::WorkgroupMissing {
            workgroup: place.workgroup.to_owned(),
            region: place.region.to_owned(),
        };
    }
    if throttling(&code) {
        return AthenaError::Throttled { action, message };
    }
    if code == "UnrecognizedClientException"
        || code == "InvalidSignatureException"
        || code == "ExpiredTokenException"
        || code == "InvalidClientTokenId"
    {
        return AthenaError::CredentialsRefused(format!("{code}: {message}"));
    }
    AthenaError::Api {
        action,
        code: if code.is_empty() {
            "an unnamed error".into()
        } else {
            code
        },
        message,
    }
}

/// More permissions an access-denied message points at, beyond the call's own.
fn permission_hint(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let mut hint = String::new();
    if lower.contains("s3") {
        hint.push_str(
            ", and s3:GetObject, s3:PutObject, s3:ListBucket and s3:GetBucketLocation on the \
             query result location (and s3:GetObject, s3:ListBucket on the export's bucket)",
        );
    }
    if lower.contains("glue") {
        hint.push_str(", and glue:GetDatabase, glue:GetTable and glue:GetPartitions on the table");
    }
    if lower.contains("kms") {
        hint.push_str(", and kms:Decrypt / kms:GenerateDataKey on the key encrypting the results");
    }
    hint
}

/// Athena's `AthenaError` of a failed query, said in words.
pub(super) fn failure_details(category: Option<i32>, error_type: Option<i32>) -> String {
    let category = category.map(|c| match c {
        1 => "system error (1)".to_owned(),
        2 => "user error (2)".to_owned(),
        3 => "other error (3)".to_owned(),
        c => format!("category {c}"),
    });
    match (category, error_type) {
        (Some(c), Some(t)) => format!(" [{c}, error type {t}]"),
        (Some(c), None) => format!(" [{c}]"),
        (None, Some(t)) => format!(" [error type {t}]"),
        (None, None) => String::new(),
    }
}

/// What to change for a failed query, from Athena's reason.
pub(super) struct FailureContext<'a> {
    pub database: &'a str,
    pub table: &'a str,
    pub catalog: &'a str,
    pub format: &'a str,
    pub output_location: Option<&'a str>,
}

pub(super) fn failure_hint(reason: &str, ctx: &FailureContext<'_>) -> String {
    let lower = reason.to_ascii_lowercase();
    if reason.contains("TABLE_NOT_FOUND")
        || (lower.contains("table") && lower.contains("does not exist"))
    {
        return format!(
            "; the table `{}` is not in database `{}` of catalog `{}`: fix cost.athena.table (or \
             cost.athena.database), or create the table over the export",
            ctx.table, ctx.database, ctx.catalog
        );
    }
    if reason.contains("SCHEMA_NOT_FOUND") || lower.contains("database does not exist") {
        return format!(
            "; the database `{}` is not in catalog `{}`: fix cost.athena.database (or \
             cost.athena.catalog)",
            ctx.database, ctx.catalog
        );
    }
    if reason.contains("CATALOG_NOT_FOUND") {
        return format!(
            "; fix cost.athena.catalog (`{}`; AWS's is AwsDataCatalog)",
            ctx.catalog
        );
    }
    if reason.contains("COLUMN_NOT_FOUND") || lower.contains("cannot be resolved") {
        return format!(
            "; the table's columns are not those of a `{}` table partitioned by billing_period: \
             check cost.athena.format (\"focus\" or \"cur2\") and that the table is AWS's over the \
             Data Export",
            ctx.format
        );
    }
    let denied = lower.contains("access denied")
        || lower.contains("permission denied")
        || lower.contains("accessdenied")
        || lower.contains("not authorized");
    if denied && (lower.contains("output") || lower.contains("writing")) {
        let location = ctx.output_location.map_or_else(
            || "the workgroup's query result location".to_owned(),
            |l| l.to_owned(),
        );
        return format!(
            "; allow s3:PutObject, s3:GetObject, s3:ListBucket and s3:GetBucketLocation on \
             {location}"
        );
    }
    if denied && lower.contains("s3") {
        return "; allow s3:GetObject and s3:ListBucket on the export's S3 location (and \
                s3:PutObject, s3:GetObject on the query result location)"
            .to_owned();
    }
    if lower.contains("insufficient") && lower.contains("permission") {
        return "; grant SELECT on the table (Lake Formation) and glue:GetDatabase, glue:GetTable, \
                glue:GetPartitions"
            .to_owned();
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FailureContext<'static> {
        FailureContext {
            database: "cost_data",
            table: "focus",
            catalog: "AwsDataCatalog",
            format: "focus",
            output_location: None,
        }
    }

    /// Athena's reasons (as its error reference words them) point at the setting to change.
    #[test]
    fn failure_hints_name_the_setting() {
        let cases = [
            (
                "SCHEMA_NOT_FOUND: line 15:6: Schema 'cost_data' does not exist",
                "fix cost.athena.database",
            ),
            (
                "TABLE_NOT_FOUND: line 15:6: Table 'awsdatacatalog.cost_data.focus' does not exist",
                "fix cost.athena.table",
            ),
            (
                "COLUMN_NOT_FOUND: line 2:8: Column 'chargeperiodstart' cannot be resolved",
                "check cost.athena.format",
            ),
            (
                "Access denied when writing output to url: s3://r/q.csv",
                "s3:PutObject, s3:GetObject, s3:ListBucket and s3:GetBucketLocation on the \
                 workgroup's query result location",
            ),
            (
                "Permission denied on S3 path: s3://exports/focus/data/BILLING_PERIOD=2024-05",
                "allow s3:GetObject and s3:ListBucket on the export's S3 location",
            ),
            (
                "Insufficient Lake Formation permission(s) on focus",
                "grant SELECT on the table (Lake Formation)",
            ),
        ];
        for (reason, want) in cases {
            let hint = failure_hint(reason, &ctx());
            assert!(hint.contains(want), "{reason}: {hint}");
        }
        assert_eq!(
            failure_hint("Query exhausted resources at this scale factor", &ctx()),
            ""
        );
    }

    #[test]
    fn failure_details_in_words() {
        assert_eq!(
            failure_details(Some(1), Some(401)),
            " [system error (1), error type 401]"
        );
        assert_eq!(failure_details(Some(2), None), " [user error (2)]");
        assert_eq!(failure_details(None, None), "");
    }
}
