//! The accessibility statement that the EU Web Accessibility Directive (2016/2102)
//! asks of public-sector sites, after the Flemish model statement. It is the theme's
//! `accessibility.html.j2` with its `a11y.*` texts, so an organisation states its own
//! assessment by overriding either in its `theme_dir`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::error::AppResult;
use crate::page::render;
use crate::state::AppState;
use crate::viewer::Viewer;

/// When this version of Leerpad and its default theme were last assessed (the
/// browser suite's axe-core checks and the manual checks of `docs/accessibility.md`).
/// A theme that overrides the statement states its own date.
pub const ASSESSED_ON: &str = "2026-12-03";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(statement);
}

#[get("/accessibility")]
async fn statement(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    render(
        &state,
        &viewer,
        &req,
        "accessibility.html.j2",
        json!({
            "contact": state.config.accessibility_contact(),
            "site_url": state.config.base_url(),
            "assessed_on": ASSESSED_ON,
        }),
    )
}
