//! Completion reports over HTTP: what coordinators read and download is
//! assembled by [`leerpad_app::reports`] (re-exported here); this module streams
//! an export to the browser.

use std::io::Write;

pub use leerpad_app::reports::*;
use leerpad_core::report::ReportQuery;
use leerpad_store::organisations::Organisation;

/// A report as an HTTP download, streamed as it is written: the export runs on a
/// blocking thread and hands the response chunks of about 64 KiB through a small
/// bounded channel, so a slow client slows the export down instead of making it
/// pile up in memory. A client that goes away stops the export.
pub fn download(
    state: &crate::state::AppState,
    organisation: Organisation,
    query: ReportQuery,
    format: ExportFormat,
    lang: &str,
) -> actix_web::HttpResponse {
    use actix_web::http::header;
    use actix_web::web::Bytes;

    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (db, now, lang) = (state.db.clone(), state.clock.now(), lang.to_string());
    let filename = format!(
        "leerpad-{}-{}.{}",
        organisation.slug,
        now.format("%Y-%m-%d"),
        format.extension()
    );
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            buffer: Vec::with_capacity(CHUNK),
            tx: tx.clone(),
        };
        let result = db
            .conn()
            .map_err(ExportError::from)
            .and_then(|mut c| export(&mut c, &organisation, &query, now, format, &lang, &mut out));
        match result {
            Ok(rows) => {
                tracing::info!(organisation = %organisation.slug, rows, format = format.extension(), "report exported")
            }
            Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                tracing::info!(organisation = %organisation.slug, "report download cancelled by the client")
            }
            Err(e) => {
                tracing::error!(organisation = %organisation.slug, error = %e, "report export failed");
                // Breaks the response off, so the client sees a failed download
                // rather than a complete-looking, truncated file.
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    actix_web::HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

const CHUNK: usize = 64 * 1024;

/// Writes into the response channel in chunks of [`CHUNK`] bytes.
struct ChannelWriter {
    buffer: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<actix_web::web::Bytes, std::io::Error>>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(Ok(chunk.into())).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
