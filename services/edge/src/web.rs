//! The browser page at `/`: embedded at build time from `web/dist` (see build.rs),
//! or read from `FITVISION_WEB_DIR` when that overrides it.

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Whether the binary carries a built page (`web/dist/index.html` existed at build time).
pub fn embedded_page_present() -> bool {
    embedded("/index.html").is_some()
}

fn embedded(path: &str) -> Option<&'static [u8]> {
    WEB_ASSETS
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

/// Content type from the file extension; the page only ships these kinds.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Content-Security-Policy of the page: its own scripts, styles, API and media only
/// (videos play from signed `/files` URLs of the same origin, or blob/data URLs the
/// page makes), and no framing. Inline styles stay allowed for the charts' layout.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
     connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Serves an embedded file; `/` (and any directory path) gives `index.html`.
/// `None` when the path is not part of the page.
pub fn embedded_response(uri: &Uri) -> Option<Response> {
    let mut path = uri.path().to_owned();
    if path.ends_with('/') {
        path.push_str("index.html");
    }
    let bytes = embedded(&path)?;
    // Hashed asset names (vite) never change content; index.html must be revalidated.
    let cache = if path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type(&path)),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response();
    if path.ends_with(".html") {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(PAGE_CSP),
        );
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_index_is_served_at_root_when_built() {
        if !embedded_page_present() {
            eprintln!("web/dist was not built; nothing embedded");
            return;
        }
        let response = embedded_response(&Uri::from_static("/")).expect("index at /");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        for (name, _) in WEB_ASSETS {
            let uri: Uri = name.parse().expect("asset names are URI paths");
            assert!(embedded_response(&uri).is_some(), "{name}");
        }
        assert!(embedded_response(&Uri::from_static("/nope.js")).is_none());
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type("/assets/a.JS"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("/assets/a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("/x"), "application/octet-stream");
    }
}
