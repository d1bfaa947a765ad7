//! `GET /metrics`: Prometheus's text format, for a scraper that sends the
//! configured `metrics_token` as `Authorization: Bearer <token>`. Not found when
//! no token is configured; 401 without the token or with another one. Sessions
//! and API tokens count for nothing here.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::metrics::{recorder, token_matches};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(metrics);
}

#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(expected) = state.config.http.metrics_token.as_deref() else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|g| token_matches(g, expected)) {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
            .content_type("text/plain; charset=utf-8")
            .body("send the metrics token as `Authorization: Bearer <token>`");
    }

    // Read now, from this instance's database and pool.
    let pool = state.db.pool_state();
    ::metrics::gauge!("leerpad_db_pool_connections").set(pool.connections);
    ::metrics::gauge!("leerpad_db_pool_idle_connections").set(pool.idle);
    ::metrics::gauge!("leerpad_db_pool_max_connections").set(pool.max);
    match state.db(leerpad_store::outbox::counts).await {
        Ok(outbox) => {
            ::metrics::gauge!("leerpad_database_up").set(1.0);
            ::metrics::gauge!("leerpad_outbox_queued_emails").set(outbox.queued as f64);
            ::metrics::gauge!("leerpad_outbox_failed_emails").set(outbox.failed as f64);
        }
        Err(e) => {
            // The outbox's figures keep their last values: `leerpad_database_up`
            // says they are stale.
            tracing::warn!(error = %e, "metrics: cannot read the outbox");
            ::metrics::gauge!("leerpad_database_up").set(0.0);
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(recorder().render())
}
