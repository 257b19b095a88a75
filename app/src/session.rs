//! Who is using the portal: the session, loaded once and shared through context.

use crate::api::{self, ApiResult};
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{Role, SessionInfo};

/// The session of this tab (`GET /api/v1/session`). Loading it also gives `api` the CSRF token.
#[derive(Clone, Copy)]
pub struct Session(pub LocalResource<ApiResult<SessionInfo>>);

impl Session {
    pub fn new() -> Self {
        Session(LocalResource::new(api::session))
    }

    /// From the context `App` provides; a fresh one if missing.
    pub fn from_context() -> Self {
        use_context::<Session>().unwrap_or_default()
    }

    /// The session once it has loaded (tracked).
    pub fn info(&self) -> Option<SessionInfo> {
        self.0.get().and_then(Result::ok)
    }

    /// The user's role once the session has loaded (tracked).
    pub fn role(&self) -> Option<Role> {
        self.info().map(|i| role_of(&i))
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// The session's role; an unknown name counts as the lowest.
pub fn role_of(info: &SessionInfo) -> Role {
    info.role.parse().unwrap_or(Role::Viewer)
}

/// The name to show: the display name, else the user id; "Local user" in local mode.
pub fn display_name(info: &SessionInfo) -> String {
    if info.local_mode {
        strings::LOCAL_USER.to_owned()
    } else if info.name.trim().is_empty() {
        info.user.clone()
    } else {
        info.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(role: &str, name: &str, local: bool) -> SessionInfo {
        SessionInfo {
            user: "u-1".to_owned(),
            role: role.to_owned(),
            local_mode: local,
            version: "0".to_owned(),
            time_zone: "UTC".to_owned(),
            name: name.to_owned(),
            email: None,
            teams: vec![],
            sees_all_teams: true,
            csrf_token: String::new(),
        }
    }

    #[test]
    fn roles_and_names() {
        assert_eq!(role_of(&info("admin", "A", false)), Role::Admin);
        assert_eq!(role_of(&info("boss", "A", false)), Role::Viewer);
        assert_eq!(display_name(&info("viewer", "", false)), "u-1");
        assert_eq!(display_name(&info("viewer", "Aiko", false)), "Aiko");
        assert_eq!(display_name(&info("admin", "local", true)), "Local user");
    }
}
