//! Leerpad's web server.
//!
//! Server-rendered HTML that works without JavaScript, from the theme's minijinja
//! templates; a JSON API under `/api/v1`. Handlers run blocking database work on
//! actix's blocking pool. Instances keep no state of their own beyond a cache of
//! published course versions: sessions are signed cookies backed by database rows,
//! so several instances can share one PostgreSQL database.

mod clock;
mod csrf;
mod error;
mod fresh;
mod guard;
mod language;
mod mail;
pub mod metrics;
mod page;
mod progress;
mod quiz_flow;
pub mod reports;
mod roster;
mod routes;
mod security;
mod session;
mod state;
mod theme;
mod throttle;
mod viewer;
mod who;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, Condition, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use leerpad_store::Db;

pub use clock::Clock;
pub use leerpad_app::config::{self, Config, LogFormat, Registration};
/// The nudges and the weekly digest live in the application layer; the job
/// runner, `leerpad nudge` and the tests reach them here as before.
pub use leerpad_app::{digest, nudges};
pub use mail::Waker;
pub use routes::item::answer_form;
pub use security::{random_token, token_hash};
pub use state::AppState;

/// Everything the server needs, built once at start.
pub fn build_state(
    config: Config,
    db: Db,
    clock: Clock,
    wake_mail: mail::Waker,
) -> anyhow::Result<AppState> {
    let keys = security::Keys::load(config.secret.as_deref(), &config.data_dir)?;
    if config.http.metrics_token.is_some() {
        crate::metrics::recorder();
    }
    let theme = theme::Theme::new(config.site.theme_dir.clone());
    let templates = theme.environment();
    let _ = error::ERROR_PAGES.set(theme.environment());
    let mail_templates = leerpad_mail::Templates::new(config.site.theme_dir.iter().cloned());
    Ok(AppState {
        db,
        config: Arc::new(config),
        theme,
        templates: Arc::new(templates),
        keys,
        clock,
        courses: state::CourseCache::default(),
        mail: mail::Mail::new(mail_templates, wake_mail),
        activity: state::ActivityThrottle::default(),
        sessions: state::SessionCache::default(),
        learners: state::LearnerCache::default(),
        hashing: security::Hashing::default(),
    })
}

/// The application: middleware and every route.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let headers = security_headers(&state.config);
    let measured = state.config.http.metrics_token.is_some();
    App::new()
        .app_data(web::Data::new(state))
        // Requests that cannot be read get themed errors, never actix's plain text.
        .app_data(
            web::FormConfig::default()
                .limit(64 * 1024)
                .error_handler(error::extractor_error),
        )
        .app_data(
            web::JsonConfig::default()
                .limit(64 * 1024)
                .error_handler(error::extractor_error),
        )
        .app_data(web::QueryConfig::default().error_handler(error::extractor_error))
        .app_data(web::PathConfig::default().error_handler(error::extractor_error))
        .wrap(from_fn(guard::guard))
        .wrap(from_fn(fresh::stamp))
        .wrap(from_fn(who::resolve))
        .wrap(from_fn(error::retry_after))
        .wrap(Compress::default())
        .wrap(headers)
        // Outermost: a request's time includes every other middleware.
        .wrap(Condition::new(measured, crate::metrics::Record))
        .configure(routes::support::routes)
        .configure(routes::metrics::routes)
        .configure(routes::auth::routes)
        .configure(routes::admin::routes)
        .configure(routes::status::routes)
        .configure(routes::api::routes)
        .configure(routes::report_api::routes)
        .configure(routes::api_tokens::routes)
        .configure(routes::course::routes)
        .configure(routes::item::routes)
        .configure(routes::notifications::routes)
        .configure(routes::organisations::routes)
        .configure(routes::members::routes)
        .configure(routes::memberships::routes)
        .configure(routes::privacy::routes)
        .configure(routes::accessibility::routes)
        .configure(routes::calendar::routes)
        .configure(routes::search::routes)
        .configure(routes::trainer::routes)
        .configure(routes::community::routes)
        .configure(routes::community_api::routes)
}

fn security_headers(config: &Config) -> DefaultHeaders {
    let headers = if config.secure_cookies() {
        // Served over https: browsers keep to https for a year.
        DefaultHeaders::new().add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: https:; media-src 'self'; \
             frame-src https://www.youtube-nocookie.com https://player.vimeo.com; \
             style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
}

/// Serves until Ctrl-C or SIGTERM, then finishes requests in flight.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let listen = state.config.http.listen.clone();
    let listener = std::net::TcpListener::bind(&listen)?;
    tracing::info!(%listen, base_url = %state.config.base_url(), "Leerpad is listening");
    server(state, listener)?.await
}

/// The HTTP server on a bound listener, ready to run.
///
/// Every connection gets `TCP_NODELAY`: a response leaves in more than one write
/// (headers first, or a compressed body chunk by chunk), and with Nagle's algorithm
/// the kernel holds the last small write back until the browser acknowledges the
/// one before — which browsers delay by up to 40 ms on a kept-alive connection.
pub fn server(state: AppState, listener: std::net::TcpListener) -> std::io::Result<Server> {
    Ok(HttpServer::new(move || app(state.clone()))
        .on_connect(no_delay)
        // The request's headers must arrive within this time (bodies: see `guard`).
        .client_request_timeout(std::time::Duration::from_secs(10))
        .listen(listener)?
        .shutdown_timeout(10)
        .run())
}

fn no_delay(connection: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    }
}
