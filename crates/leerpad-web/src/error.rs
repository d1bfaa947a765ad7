//! Errors of the web layer and how they look to people and to API clients.

use std::sync::OnceLock;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use leerpad_store::StoreError;
use minijinja::Environment;

/// The template environment error pages render with; set once at start.
pub static ERROR_PAGES: OnceLock<Environment<'static>> = OnceLock::new();

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("sign in first")]
    SignInRequired { next: String },
    #[error("you may not do this")]
    Forbidden,
    #[error("this form has expired; reload the page and try again")]
    Csrf,
    #[error("too many attempts; wait {retry_after} seconds and try again")]
    RateLimited { retry_after: u32 },
    #[error("{0}")]
    BadRequest(String),
    /// The database cannot be reached or cannot write just now; nothing of this
    /// request was saved, and everything saved before is kept.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Internal(format!("{:#}", anyhow::Error::from(e)))
        }
    }
}

/// Seconds a client is asked to wait before trying again after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl From<leerpad_app::FlowError> for AppError {
    fn from(e: leerpad_app::FlowError) -> Self {
        match e {
            leerpad_app::FlowError::Store(e) => e.into(),
            other => AppError::Internal(format!("{:#}", anyhow::Error::from(other))),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(format!("template: {e:#}"))
    }
}

impl AppError {
    /// The error page's text key, and the seconds to wait for a rate limit. Pages
    /// show only texts of the theme in the reader's language, never an internal
    /// message (those go to the log; the JSON API gives them to developers). The
    /// page rendered here is a fallback in the default language; the session
    /// middleware renders it again for the person asking (their language, their
    /// menu), see `who::resolve`.
    pub fn page(&self) -> (&'static str, Option<u32>) {
        let key = match self {
            AppError::NotFound => "error.not-found",
            AppError::Forbidden => "error.forbidden",
            AppError::Csrf => "error.csrf",
            AppError::RateLimited { .. } => "error.rate-limited",
            AppError::BadRequest(_) => "error.bad-request",
            AppError::Unavailable(_) => "error.unavailable",
            _ => "error.internal",
        };
        let seconds = match self {
            AppError::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        };
        (key, seconds)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired { next } = self {
            let target = format!("/auth/sign-in?next={}", urlencode(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        match self {
            AppError::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            AppError::BadRequest(detail) => tracing::info!(%detail, "bad request"),
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "request failed: the database is unavailable")
            }
            _ => {}
        }
        let status = self.status_code();
        let (key, seconds) = self.page();
        let body = ERROR_PAGES
            .get()
            .and_then(|env| env.get_template("error.html.j2").ok())
            .and_then(|t| {
                t.render(minijinja::context! { lang => "nl", status => status.as_u16(), key => key, seconds => seconds })
                    .ok()
            })
            .unwrap_or_else(|| format!("<!doctype html><title>{status}</title><p>{self}</p>"));
        let mut res = HttpResponse::build(status);
        res.content_type("text/html; charset=utf-8");
        if let Some(wait) = self.retry_after() {
            res.insert_header((header::RETRY_AFTER, wait.to_string()));
        }
        res.body(body)
    }
}

impl AppError {
    /// When a client may try again: after a rate limit's wait, or a moment after an
    /// outage.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            AppError::RateLimited { retry_after } => Some(*retry_after),
            AppError::Unavailable(_) => Some(RETRY_AFTER_SECONDS),
            _ => None,
        }
    }
}

/// What a request whose path, query, form or JSON cannot be read gets: a themed
/// page (or, under `/api/`, the API's JSON error) instead of actix's plain text.
pub fn extractor_error(
    err: impl std::fmt::Display,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    let e = AppError::BadRequest(err.to_string());
    if req.path().starts_with("/api/") {
        crate::routes::api::ApiError(e).into()
    } else {
        e.into()
    }
}

/// Middleware: every 503 tells the client when to try again, also an error page
/// that the session middleware rendered again for the viewer.
pub async fn retry_after(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::SERVICE_UNAVAILABLE
        && !res.headers().contains_key(header::RETRY_AFTER)
    {
        res.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(RETRY_AFTER_SECONDS),
        );
    }
    Ok(res)
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e[1..].to_string())
        .unwrap_or_default()
}

pub type AppResult<T> = Result<T, AppError>;
