//! Logging: tracing with an EnvFilter, as text or JSON.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls are no-ops (tests call it per app).
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Request log: writes and errors at INFO, successful reads at DEBUG (calendar apps poll feeds
/// constantly; a line per poll would drown everything else and cost a third of the throughput).
/// Never logs query strings, bodies or headers: they may carry tokens or personal data.
pub async fn log_requests(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::Method;
    let start = std::time::Instant::now();
    let read = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.call(req).await?;
    let status = res.status();
    let quiet = read && (status.is_success() || status.is_redirection());
    if !quiet || tracing::enabled!(tracing::Level::DEBUG) {
        let r = res.request();
        let micros = start.elapsed().as_micros() as u64;
        if quiet {
            tracing::debug!(method = %r.method(), path = r.path(), status = status.as_u16(), micros, "request");
        } else if status.is_server_error() {
            tracing::error!(method = %r.method(), path = r.path(), status = status.as_u16(), micros, "request");
        } else {
            tracing::info!(method = %r.method(), path = r.path(), status = status.as_u16(), micros, "request");
        }
    }
    Ok(res)
}
