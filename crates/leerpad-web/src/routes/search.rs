//! Search over the catalogue and the lessons (`/search?q=…`): a form that works
//! without JavaScript, and results that link to the course or the item with a
//! snippet of the text around the words found. Hidden courses are found only by
//! those enrolled in them.

use actix_web::{get, web, HttpRequest, HttpResponse};
use leerpad_core::search::{SearchQuery, MAX_QUERY_CHARS};
use leerpad_store::search::{self, Hit, MARK_END, MARK_START};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::AppResult;
use crate::page::render;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Results on the page at most, the best first.
const LIMIT: i32 = 20;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(search_page);
}

#[derive(Deserialize)]
struct Params {
    q: Option<String>,
}

#[get("/search")]
async fn search_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    params: web::Query<Params>,
) -> AppResult<HttpResponse> {
    let Some(raw) = params.into_inner().q else {
        return page(
            &state,
            &viewer,
            &req,
            json!({ "max": MAX_QUERY_CHARS }),
            200,
        );
    };
    let query = match SearchQuery::parse(&raw) {
        Ok(q) => q,
        Err(problem) => {
            let shown: String = raw.chars().take(MAX_QUERY_CHARS).collect();
            let ctx = json!({ "q": shown, "problem": problem.text_key(), "max": MAX_QUERY_CHARS });
            return page(&state, &viewer, &req, ctx, 422);
        }
    };
    let uid = viewer.user.as_ref().map(|u| u.id);
    let hits = state
        .db(move |c| search::search(c, &query, uid, LIMIT))
        .await?;
    let mut results = Vec::with_capacity(hits.len());
    for hit in hits {
        results.push(result(&state, hit).await);
    }
    let ctx =
        json!({ "q": raw.trim(), "results": results, "max": MAX_QUERY_CHARS, "searched": true });
    page(&state, &viewer, &req, ctx, 200)
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    ctx: Value,
    status: u16,
) -> AppResult<HttpResponse> {
    let mut res = render(state, viewer, req, "search.html.j2", ctx)?;
    if let Ok(code) = actix_web::http::StatusCode::from_u16(status) {
        *res.status_mut() = code;
    }
    Ok(res)
}

async fn result(state: &AppState, hit: Hit) -> Value {
    let course_title = match state.courses.current(state, &hit.course_id).await {
        Ok(served) => served.course.title.clone(),
        Err(_) => hit.course_id.clone(),
    };
    json!({
        "course_id": hit.course_id,
        "item_id": hit.item_id,
        "title": hit.title,
        "kind": hit.kind,
        "course": course_title,
        "snippet_html": snippet_html(&hit.snippet),
    })
}

/// The snippet escaped for HTML, the words found in `<mark>`.
pub(crate) fn snippet_html(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 32);
    let mut open = false;
    for c in snippet.chars() {
        match c {
            MARK_START if !open => {
                out.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                out.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snippet_html;

    #[test]
    fn snippets_are_escaped_and_marked() {
        assert_eq!(
            snippet_html("wij & <zij> \u{2}polarisatie\u{3} \u{2}open"),
            "wij &amp; &lt;zij&gt; <mark>polarisatie</mark> <mark>open</mark>"
        );
    }
}
