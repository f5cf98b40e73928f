//! Streams a multipart file field into the `UploadVideo` client-streaming RPC
//! without holding the file in memory: each multipart chunk becomes one (or
//! more) upload messages, with a small bounded channel for back-pressure.
//!
//! The metadata message must go first, so the text fields it needs must be read
//! before the file. Clients normally send text fields first; when the file comes
//! first it is spooled to a temporary file (disk, not memory) until the form
//! has been read.

use std::collections::HashMap;

use crate::auth::ForwardedCredential;
use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::StatusCode;
use bytes::Bytes;
use fitvision_proto::v1::upload_video_request::Payload;
use fitvision_proto::v1::{UploadMetadata, UploadVideoRequest, Video};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tracing::Instrument;

use crate::error::{ApiError, Family};
use crate::state::AppState;

/// Largest chunk per upload message (well under gRPC's 4 MiB default).
const CHUNK_BYTES: usize = 1 << 20;

/// Text fields of the form and the uploaded video (None when no file was sent).
pub struct FormUpload {
    pub fields: HashMap<String, String>,
    pub video: Option<Video>,
    /// Bytes received for the file field.
    pub received_bytes: u64,
}

/// How to run one form upload.
pub struct UploadPlan<'a> {
    pub family: Family,
    /// Names accepted for the file field (first match wins).
    pub file_fields: &'a [&'a str],
    /// Text fields that must have arrived before metadata can be built.
    pub required_before_file: &'a [&'a str],
    /// A file part before all of `required_before_file` is refused unread (as in an S3
    /// presigned POST, whose file is the form's last field) instead of being spooled to
    /// disk until they arrive: for forms authorised by those fields, nothing is stored
    /// before the authorisation is checked.
    pub file_after_required: bool,
    /// Text fields that hold a list: sent repeated (`f=a`, `f=b`, or `f[]=a`, `f[]=b`,
    /// as form libraries send arrays) their values are joined with commas, the list's
    /// own comma-separated form; any other repeated field keeps its last value.
    pub list_fields: &'a [&'a str],
    /// Credential the RPC is made with.
    pub credential: ForwardedCredential,
    /// When set, more bytes than this abort the upload with 400.
    pub declared_size: Option<u64>,
}

fn multipart_error(family: Family, error: MultipartError) -> ApiError {
    let status = error.status();
    let status = if status == StatusCode::PAYLOAD_TOO_LARGE {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::new(
        family,
        status,
        format!("invalid multipart body: {}", error.body_text()),
    )
}

/// The multipart body, or the family's 400 when the request is not multipart.
/// Middleware: a body whose `Content-Length` already exceeds the upload limit
/// gets its 413 before a byte of it is read. A client that waits for
/// `100 Continue` (curl does for large files) then never sends it, and the
/// answer is not lost to a connection reset mid-body.
pub async fn reject_declared_oversize(
    axum::extract::State((state, family)): axum::extract::State<(AppState, Family)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let limit = state.config().max_upload_bytes;
    match declared {
        Some(length) if length > limit => {
            axum::response::IntoResponse::into_response(ApiError::new(
                family,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is {length} bytes; uploads are limited to {limit} bytes"),
            ))
        }
        _ => next.run(request).await,
    }
}

pub fn multipart_body(
    family: Family,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Multipart, ApiError> {
    multipart.map_err(|rejection| {
        ApiError::bad_request(
            family,
            format!(
                "expected a multipart/form-data body: {}",
                rejection.body_text()
            ),
        )
    })
}

/// Records one text field of the form (see [`UploadPlan::list_fields`]).
fn add_text_field(
    fields: &mut HashMap<String, String>,
    list_fields: &[&str],
    name: String,
    text: String,
) {
    let list = name.strip_suffix("[]").unwrap_or(&name);
    if !list_fields.contains(&list) {
        fields.insert(name, text);
        return;
    }
    fields
        .entry(list.to_owned())
        .and_modify(|joined| {
            joined.push(',');
            joined.push_str(&text);
        })
        .or_insert(text);
}

/// Reads the whole form, streaming the file into `UploadVideo` with the metadata
/// that `metadata_for` builds from the text fields read so far.
pub async fn stream_form_upload(
    state: &AppState,
    mut multipart: Multipart,
    plan: UploadPlan<'_>,
    metadata_for: impl AsyncFnOnce(&HashMap<String, String>) -> Result<UploadMetadata, ApiError>,
) -> Result<FormUpload, ApiError> {
    let family = plan.family;
    let mut fields = HashMap::new();
    let mut metadata_for = Some(metadata_for);
    let mut video = None;
    let mut received_bytes = 0u64;
    let mut spooled: Option<tempfile::NamedTempFile> = None;
    // The streamed file's upload stays open until the whole form has been read, so
    // that a form refused after its file (a second file part, a broken part) commits
    // nothing: all or nothing.
    let mut open_upload: Option<(mpsc::Sender<UploadVideoRequest>, UploadCall)> = None;

    while let Some(mut field) = match multipart.next_field().await {
        Ok(field) => field,
        Err(error) => {
            if let Some(upload) = open_upload.take() {
                abandon(upload).await;
            }
            return Err(multipart_error(family, error));
        }
    } {
        let name = field.name().unwrap_or_default().to_owned();
        if !plan.file_fields.contains(&name.as_str()) {
            let text = field.text().await.map_err(|e| multipart_error(family, e))?;
            add_text_field(&mut fields, plan.list_fields, name, text);
            continue;
        }
        if open_upload.is_some() || spooled.is_some() {
            if let Some(upload) = open_upload.take() {
                abandon(upload).await;
            }
            return Err(ApiError::bad_request(
                family,
                format!("more than one `{name}` file"),
            ));
        }
        if let Some(filename) = field.file_name() {
            fields
                .entry("__filename".to_owned())
                .or_insert_with(|| filename.to_owned());
        }
        let ready = plan
            .required_before_file
            .iter()
            .all(|required| fields.contains_key(*required));
        if !ready && plan.file_after_required {
            return Err(ApiError::bad_request(
                family,
                format!(
                    "the `{name}` file must come after the form fields {}",
                    plan.required_before_file.join(", ")
                ),
            ));
        }
        if ready {
            let build = metadata_for.take().expect("metadata is built once");
            let metadata = build(&fields).await?;
            let (tx, call) = start_upload(state, &plan, metadata);
            let streamed = async {
                let mut sent_ok = true;
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(family, e))?
                {
                    received_bytes += chunk.len() as u64;
                    check_declared(&plan, received_bytes)?;
                    if sent_ok && !send_chunks(&tx, chunk).await {
                        // The RPC ended early (it refused the upload): its status says why.
                        sent_ok = false;
                    }
                }
                Ok::<(), ApiError>(())
            }
            .await;
            if let Err(error) = streamed {
                abandon((tx, call)).await;
                return Err(error);
            }
            open_upload = Some((tx, call));
        } else {
            let file = tempfile::NamedTempFile::new()
                .map_err(|e| ApiError::internal(family, format!("cannot spool upload: {e}")))?;
            let mut writer =
                tokio::fs::File::from_std(file.reopen().map_err(|e| {
                    ApiError::internal(family, format!("cannot spool upload: {e}"))
                })?);
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| multipart_error(family, e))?
            {
                received_bytes += chunk.len() as u64;
                check_declared(&plan, received_bytes)?;
                writer
                    .write_all(&chunk)
                    .await
                    .map_err(|e| ApiError::internal(family, format!("cannot spool upload: {e}")))?;
            }
            writer
                .flush()
                .await
                .map_err(|e| ApiError::internal(family, format!("cannot spool upload: {e}")))?;
            spooled = Some(file);
        }
    }

    if let Some((tx, call)) = open_upload {
        // The form ended cleanly: end the stream, and the upload is committed.
        drop(tx);
        video = Some(finish_upload(family, call).await?);
    }
    if let Some(file) = spooled {
        let build = metadata_for.take().expect("metadata is built once");
        let metadata = build(&fields).await?;
        let (tx, call) = start_upload(state, &plan, metadata);
        let mut reader = tokio::fs::File::open(file.path())
            .await
            .map_err(|e| ApiError::internal(family, format!("cannot read spooled upload: {e}")))?;
        let mut buffer = vec![0u8; CHUNK_BYTES];
        loop {
            let n = reader.read(&mut buffer).await.map_err(|e| {
                ApiError::internal(family, format!("cannot read spooled upload: {e}"))
            })?;
            if n == 0 || !send_chunks(&tx, Bytes::copy_from_slice(&buffer[..n])).await {
                break;
            }
        }
        drop(tx);
        video = Some(finish_upload(family, call).await?);
    }

    Ok(FormUpload {
        fields,
        video,
        received_bytes,
    })
}

/// Gives up an upload whose form failed: the call is cancelled, and its request stream
/// reset, before the sender is dropped, so the session service never sees the stream
/// end cleanly and stores nothing (dropping the sender first would commit the bytes
/// sent so far as a whole video).
async fn abandon((tx, call): (mpsc::Sender<UploadVideoRequest>, UploadCall)) {
    call.abort();
    let _ = call.await;
    drop(tx);
}

fn check_declared(plan: &UploadPlan<'_>, received: u64) -> Result<(), ApiError> {
    match plan.declared_size {
        Some(declared) if received > declared => Err(ApiError::bad_request(
            plan.family,
            format!("the upload is larger than the declared size of {declared} bytes"),
        )),
        _ => Ok(()),
    }
}

type UploadCall = tokio::task::JoinHandle<Result<Video, tonic::Status>>;

fn start_upload(
    state: &AppState,
    plan: &UploadPlan<'_>,
    metadata: UploadMetadata,
) -> (mpsc::Sender<UploadVideoRequest>, UploadCall) {
    let (tx, rx) = mpsc::channel(4);
    let first = UploadVideoRequest {
        payload: Some(Payload::Metadata(metadata)),
    };
    // Capacity 4 and nothing sent yet: this cannot fail.
    let _ = tx.try_send(first);
    let mut request = tonic::Request::new(ReceiverStream::new(rx));
    plan.credential.apply(request.metadata_mut());
    let mut client = state.session();
    // In the request's span, so the call (and the jobs it enqueues) carry its trace context.
    let call = tokio::spawn(
        async move {
            let response = client.upload_video(request).await?.into_inner();
            response
                .video
                .ok_or_else(|| tonic::Status::internal("upload answered without a video"))
        }
        .in_current_span(),
    );
    (tx, call)
}

/// Sends a multipart chunk as one or more messages; false once the RPC is gone.
async fn send_chunks(tx: &mpsc::Sender<UploadVideoRequest>, chunk: Bytes) -> bool {
    let mut rest = chunk;
    while !rest.is_empty() {
        let piece = rest.split_to(rest.len().min(CHUNK_BYTES));
        let message = UploadVideoRequest {
            payload: Some(Payload::Chunk(piece.to_vec())),
        };
        if tx.send(message).await.is_err() {
            return false;
        }
    }
    true
}

async fn finish_upload(family: Family, call: UploadCall) -> Result<Video, ApiError> {
    match call.await {
        Ok(Ok(video)) => Ok(video),
        Ok(Err(status)) => Err(ApiError::from_status(family, &status)),
        Err(join) => Err(ApiError::internal(
            family,
            format!("upload task failed: {join}"),
        )),
    }
}
