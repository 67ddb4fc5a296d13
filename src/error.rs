//! One error type for the whole service, answered as RFC 9457 `application/problem+json`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::message::Msg;

/// A problem with one input field, named by its JSON path (`partners[1].slug`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// English, as the API answers.
    pub message: String,
    /// The same, as data, for pages that answer in another language.
    #[serde(skip)]
    pub msg: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<Msg>) -> Self {
        let msg = message.into();
        FieldError {
            field: field.into(),
            message: msg.to_string(),
            msg,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("gone: {0}")]
    Gone(String),
    #[error("unauthorized")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge(usize),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Not an error for the user: go there (e.g. to the login page). Answered as 303.
    #[error("redirect to {0}")]
    Redirect(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<Msg>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// Short machine-readable kind, the last segment of the problem `type`.
    fn kind(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::BadRequest(_) => "bad-request",
            AppError::NotFound(_) => "not-found",
            AppError::Gone(_) => "gone",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge(_) => "payload-too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::Redirect(_) => "redirect",
            AppError::Unexpected(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "Some fields are not valid",
            AppError::BadRequest(_) => "The request could not be read",
            AppError::NotFound(_) => "Not found",
            AppError::Gone(_) => "Gone",
            AppError::Unauthorized(_) => "Authentication required",
            AppError::Forbidden(_) => "Not allowed",
            AppError::Conflict(_) => "Conflict",
            AppError::PayloadTooLarge(_) => "Request body too large",
            AppError::UnsupportedMediaType(_) => "Unsupported media type",
            AppError::Redirect(_) => "See other",
            AppError::Unexpected(_) => "Internal server error",
        }
    }

    fn detail(&self) -> String {
        match self {
            AppError::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                many => format!("{} fields are not valid", many.len()),
            },
            AppError::BadRequest(m)
            | AppError::NotFound(m)
            | AppError::Gone(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::Redirect(m) => m.clone(),
            AppError::PayloadTooLarge(limit) => {
                format!("the request body is larger than the limit of {limit} bytes")
            }
            AppError::Unexpected(_) => {
                "something went wrong on our side; it has been logged".into()
            }
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Redirect(to) = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to.as_str()))
                .finish();
        }
        if let AppError::Unexpected(err) = self {
            tracing::error!(error = ?err, "unexpected error");
        }
        let status = self.status_code();
        let errors: &[FieldError] = match self {
            AppError::Validation(e) => e,
            _ => &[],
        };
        let body = Problem {
            type_: format!("/problems/{}", self.kind()),
            title: self.title(),
            status: status.as_u16(),
            detail: self.detail(),
            errors,
        };
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if matches!(self, AppError::Unauthorized(_)) {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"turnout\""));
        }
        match serde_json::to_vec(&body) {
            Ok(bytes) => resp.body(bytes),
            Err(_) => resp.finish(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => AppError::NotFound("no such record".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => AppError::Conflict(
                format!("a record with the same key exists ({})", info.message()),
            ),
            other => AppError::Unexpected(anyhow::Error::new(other).context("database query")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        AppError::Unexpected(anyhow::Error::new(err).context("database pool"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Unexpected(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::Unexpected(anyhow::Error::new(err).context("JSON encoding"))
    }
}
