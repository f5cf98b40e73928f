//! Video container recognition from the first bytes, and a streaming check of
//! the container's top-level structure.
//!
//! Sniffing refuses a renamed PDF before a single byte is stored; the
//! structural walk catches truncated files (a box or element that claims more
//! bytes than the upload delivered) without buffering the video.

/// Bytes needed to recognise every supported container (EBML doc type
/// included). Shorter uploads are sniffed with what they have.
pub const SNIFF_LEN: usize = 64;

/// Video containers the suite accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Mp4,
    QuickTime,
    M4v,
    Matroska,
    WebM,
    Avi,
}

impl ContainerKind {
    /// MIME type stored with the object.
    pub fn content_type(self) -> &'static str {
        match self {
            ContainerKind::Mp4 => "video/mp4",
            ContainerKind::QuickTime => "video/quicktime",
            ContainerKind::M4v => "video/x-m4v",
            ContainerKind::Matroska => "video/x-matroska",
            ContainerKind::WebM => "video/webm",
            ContainerKind::Avi => "video/x-msvideo",
        }
    }

    /// File extension (without dot) conventionally used for the container.
    pub fn extension(self) -> &'static str {
        match self {
            ContainerKind::Mp4 => "mp4",
            ContainerKind::QuickTime => "mov",
            ContainerKind::M4v => "m4v",
            ContainerKind::Matroska => "mkv",
            ContainerKind::WebM => "webm",
            ContainerKind::Avi => "avi",
        }
    }

    /// Inverse of [`ContainerKind::content_type`].
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        [
            ContainerKind::Mp4,
            ContainerKind::QuickTime,
            ContainerKind::M4v,
            ContainerKind::Matroska,
            ContainerKind::WebM,
            ContainerKind::Avi,
        ]
        .into_iter()
        .find(|kind| kind.content_type() == content_type)
    }
}

/// Outcome of looking at the first bytes of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniff {
    Container(ContainerKind),
    /// Not enough bytes yet to decide.
    NeedMoreBytes,
    /// Recognisably not a supported video; the text says what it looks like.
    Unsupported(String),
}

const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
/// Atoms that may open a legacy QuickTime file that has no `ftyp`.
const LEGACY_QUICKTIME_ATOMS: [&[u8; 4]; 5] = [b"moov", b"mdat", b"wide", b"free", b"pnot"];

/// Recognises the container from the first bytes. `at_end` tells whether
/// `head` is the whole file (so "need more bytes" becomes a refusal).
pub fn sniff(head: &[u8], at_end: bool) -> Sniff {
    let verdict = sniff_prefix(head);
    match verdict {
        Sniff::NeedMoreBytes if at_end => Sniff::Unsupported(if head.is_empty() {
            "the file is empty".to_owned()
        } else {
            format!("{} bytes are too short to be a video", head.len())
        }),
        other => other,
    }
}

fn sniff_prefix(head: &[u8]) -> Sniff {
    if head.len() >= 4 && head[..4] == EBML_MAGIC {
        return sniff_ebml_doc_type(head);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" {
        return if &head[8..12] == b"AVI " {
            Sniff::Container(ContainerKind::Avi)
        } else {
            Sniff::Unsupported(format!(
                "a RIFF '{}' file, not an AVI video",
                String::from_utf8_lossy(&head[8..12])
            ))
        };
    }
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        if head.len() < 12 {
            return Sniff::NeedMoreBytes;
        }
        return Sniff::Container(match &head[8..12] {
            b"qt  " => ContainerKind::QuickTime,
            b"M4V " | b"M4VH" | b"M4VP" => ContainerKind::M4v,
            _ => ContainerKind::Mp4,
        });
    }
    if head.len() >= 8
        && LEGACY_QUICKTIME_ATOMS
            .iter()
            .any(|atom| &head[4..8] == *atom)
    {
        return Sniff::Container(ContainerKind::QuickTime);
    }
    if let Some(what) = describe_known_non_video(head) {
        return Sniff::Unsupported(what);
    }
    // Every supported signature is decided by 12 bytes.
    if head.len() < 12 {
        Sniff::NeedMoreBytes
    } else {
        Sniff::Unsupported(
            "unrecognised content (expected mp4, mov, m4v, webm, mkv or avi)".to_owned(),
        )
    }
}

fn describe_known_non_video(head: &[u8]) -> Option<String> {
    let signatures: [(&[u8], &str); 8] = [
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"ID3", "an MP3 audio file"),
        (b"OggS", "an Ogg file"),
    ];
    signatures
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, what)| format!("{what}, not a video"))
}

/// Finds the DocType element (0x4282) in the EBML header.
fn sniff_ebml_doc_type(head: &[u8]) -> Sniff {
    let doc_type_at = head.windows(2).position(|w| w == [0x42, 0x82]);
    let Some(at) = doc_type_at else {
        return if head.len() >= SNIFF_LEN {
            // EBML without a DocType in the header: treat as generic Matroska.
            Sniff::Container(ContainerKind::Matroska)
        } else {
            Sniff::NeedMoreBytes
        };
    };
    let rest = &head[at + 2..];
    let Some((len, size_len)) = read_vint(rest, VintKind::Size) else {
        return Sniff::NeedMoreBytes;
    };
    let Some(len) = len else {
        return Sniff::Unsupported("EBML DocType with an unknown size".to_owned());
    };
    let start = size_len;
    let end = start + len as usize;
    if rest.len() < end {
        return if head.len() >= SNIFF_LEN {
            Sniff::Container(ContainerKind::Matroska)
        } else {
            Sniff::NeedMoreBytes
        };
    }
    match &rest[start..end] {
        b"webm" => Sniff::Container(ContainerKind::WebM),
        b"matroska" => Sniff::Container(ContainerKind::Matroska),
        other => Sniff::Unsupported(format!(
            "an EBML '{}' document, not a video",
            String::from_utf8_lossy(other)
        )),
    }
}

#[derive(Clone, Copy)]
enum VintKind {
    /// Element ids keep their length marker bits.
    Id,
    /// Sizes drop the marker; all ones means "unknown".
    Size,
}

/// Reads an EBML variable-length integer. Returns (value, bytes used), with
/// value `None` for the reserved "unknown size"; `None` overall when more
/// bytes are needed or the first byte is invalid (0x00).
fn read_vint(bytes: &[u8], kind: VintKind) -> Option<(Option<u64>, usize)> {
    let first = *bytes.first()?;
    if first == 0 {
        return None;
    }
    let len = first.leading_zeros() as usize + 1;
    if bytes.len() < len {
        return None;
    }
    let mut value = match kind {
        VintKind::Id => u64::from(first),
        // The marker bit and the zeros before it are not part of the size; an
        // 8-byte size (0x01 first, as streamed Matroska/WebM writes an unknown size)
        // keeps none of its first byte.
        VintKind::Size => u64::from(first) & ((1u64 << (8 - len)) - 1),
    };
    for byte in &bytes[1..len] {
        value = (value << 8) | u64::from(*byte);
    }
    let all_ones = (1u64 << (7 * len)) - 1;
    match kind {
        VintKind::Size if value == all_ones => Some((None, len)),
        _ => Some((Some(value), len)),
    }
}

/// A top-level unit of the container: a box (ISO BMFF), an element (EBML).
#[derive(Debug, Clone, Copy)]
struct TopLevelHeader {
    tag: u32,
    header_len: u64,
    /// Body length; `None` = extends to the end of the file.
    body_len: Option<u64>,
}

enum HeaderParse {
    NeedMore,
    Header(TopLevelHeader),
    Invalid(String),
}

fn parse_iso_bmff_header(buf: &[u8]) -> HeaderParse {
    if buf.len() < 8 {
        return HeaderParse::NeedMore;
    }
    let size32 = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let tag = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let (header_len, total) = match size32 {
        0 => {
            return HeaderParse::Header(TopLevelHeader {
                tag,
                header_len: 8,
                body_len: None,
            });
        }
        1 => {
            if buf.len() < 16 {
                return HeaderParse::NeedMore;
            }
            let mut large = [0u8; 8];
            large.copy_from_slice(&buf[8..16]);
            (16u64, u64::from_be_bytes(large))
        }
        size => (8u64, u64::from(size)),
    };
    if total < header_len {
        return HeaderParse::Invalid(format!(
            "box '{}' declares {total} bytes, less than its own header",
            fourcc(tag)
        ));
    }
    HeaderParse::Header(TopLevelHeader {
        tag,
        header_len,
        body_len: Some(total - header_len),
    })
}

fn parse_ebml_header(buf: &[u8]) -> HeaderParse {
    if buf.first() == Some(&0) {
        return HeaderParse::Invalid("invalid EBML element id".to_owned());
    }
    let Some((Some(id), id_len)) = read_vint(buf, VintKind::Id) else {
        return HeaderParse::NeedMore;
    };
    if id_len > 4 {
        return HeaderParse::Invalid("EBML element id longer than 4 bytes".to_owned());
    }
    if buf.len() > id_len && buf[id_len] == 0 {
        return HeaderParse::Invalid("invalid EBML element size".to_owned());
    }
    let Some((size, size_len)) = read_vint(&buf[id_len..], VintKind::Size) else {
        return HeaderParse::NeedMore;
    };
    HeaderParse::Header(TopLevelHeader {
        tag: id as u32,
        header_len: (id_len + size_len) as u64,
        body_len: size,
    })
}

fn fourcc(tag: u32) -> String {
    String::from_utf8_lossy(&tag.to_be_bytes()).into_owned()
}

const MOOV: u32 = u32::from_be_bytes(*b"moov");
const EBML_SEGMENT: u32 = 0x1853_8067;

/// Streaming check of a container's top-level layout. Feed every byte in
/// order with [`ContainerCheck::update`], then call [`ContainerCheck::finish`].
#[derive(Debug)]
pub struct ContainerCheck {
    kind: ContainerKind,
    /// Bytes consumed so far.
    position: u64,
    /// Offset of the next top-level header.
    next_header_at: u64,
    header: Vec<u8>,
    /// Set once a unit extends to the end of the file: nothing more to walk.
    open_ended: bool,
    /// Exact total size declared by a RIFF header.
    riff_total: Option<u64>,
    saw_required_unit: bool,
    error: Option<String>,
}

impl ContainerCheck {
    pub fn new(kind: ContainerKind) -> Self {
        Self {
            kind,
            position: 0,
            next_header_at: 0,
            header: Vec::with_capacity(16),
            open_ended: false,
            riff_total: None,
            saw_required_unit: false,
            error: None,
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        if self.error.is_some() {
            return;
        }
        if self.kind == ContainerKind::Avi {
            self.update_riff(chunk);
            return;
        }
        let mut index = 0usize;
        while index < chunk.len() && !self.open_ended && self.error.is_none() {
            if self.position < self.next_header_at {
                let skip = (self.next_header_at - self.position).min((chunk.len() - index) as u64);
                self.position += skip;
                index += skip as usize;
                continue;
            }
            self.header.push(chunk[index]);
            index += 1;
            self.position += 1;
            let parsed = match self.kind {
                ContainerKind::Matroska | ContainerKind::WebM => parse_ebml_header(&self.header),
                _ => parse_iso_bmff_header(&self.header),
            };
            match parsed {
                HeaderParse::NeedMore => {}
                HeaderParse::Invalid(reason) => self.error = Some(reason),
                HeaderParse::Header(header) => self.accept(header),
            }
        }
        if index < chunk.len() {
            self.position += (chunk.len() - index) as u64;
        }
    }

    fn accept(&mut self, header: TopLevelHeader) {
        let required = match self.kind {
            ContainerKind::Matroska | ContainerKind::WebM => EBML_SEGMENT,
            _ => MOOV,
        };
        if header.tag == required {
            self.saw_required_unit = true;
        }
        let start = self.next_header_at;
        self.header.clear();
        match header.body_len {
            None => self.open_ended = true,
            Some(body) => match start
                .checked_add(header.header_len)
                .and_then(|at| at.checked_add(body))
            {
                Some(end) => self.next_header_at = end,
                None => self.error = Some("top-level size overflows".to_owned()),
            },
        }
    }

    fn update_riff(&mut self, chunk: &[u8]) {
        if self.riff_total.is_none() && self.header.len() < 8 {
            let wanted = (8 - self.header.len()).min(chunk.len());
            self.header.extend_from_slice(&chunk[..wanted]);
            if self.header.len() == 8 {
                let size = u32::from_le_bytes([
                    self.header[4],
                    self.header[5],
                    self.header[6],
                    self.header[7],
                ]);
                self.riff_total = Some(u64::from(size) + 8);
                self.saw_required_unit = true;
            }
        }
        self.position += chunk.len() as u64;
    }

    /// Verdict once every byte has been fed.
    pub fn finish(&self) -> Result<(), String> {
        if let Some(error) = &self.error {
            return Err(format!("malformed {}: {error}", self.kind.extension()));
        }
        let total = self.position;
        if let Some(expected) = self.riff_total {
            // Files over 1 GiB continue with AVIX lists after the first RIFF.
            return if total < expected {
                Err(format!(
                    "truncated avi: the RIFF header declares {expected} bytes but the file has {total}"
                ))
            } else {
                Ok(())
            };
        }
        if !self.header.is_empty() {
            return Err(format!(
                "truncated {}: the file ends inside a top-level header at byte {}",
                self.kind.extension(),
                self.next_header_at
            ));
        }
        if !self.open_ended && self.next_header_at > total {
            return Err(format!(
                "truncated {}: a top-level unit ends at byte {} but the file has {total}",
                self.kind.extension(),
                self.next_header_at
            ));
        }
        if !self.saw_required_unit {
            let what = match self.kind {
                ContainerKind::Avi => "RIFF header",
                ContainerKind::Matroska | ContainerKind::WebM => "Segment element",
                _ => "movie header (moov box)",
            };
            return Err(format!(
                "incomplete {}: no {what} found",
                self.kind.extension()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_box(tag: &[u8; 4], body_len: usize) -> Vec<u8> {
        let mut out = ((body_len + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(tag);
        out.extend(std::iter::repeat_n(0u8, body_len));
        out
    }

    fn minimal_mp4() -> Vec<u8> {
        let mut file = Vec::new();
        let mut ftyp = 16u32.to_be_bytes().to_vec();
        ftyp.extend_from_slice(b"ftypisom");
        ftyp.extend_from_slice(&[0, 0, 2, 0]);
        file.extend(ftyp);
        file.extend(mp4_box(b"moov", 100));
        file.extend(mp4_box(b"mdat", 1000));
        file
    }

    fn check_in_chunks(kind: ContainerKind, file: &[u8], chunk: usize) -> Result<(), String> {
        let mut check = ContainerCheck::new(kind);
        for part in file.chunks(chunk) {
            check.update(part);
        }
        check.finish()
    }

    #[test]
    fn recognises_supported_containers() {
        assert_eq!(
            sniff(&minimal_mp4(), false),
            Sniff::Container(ContainerKind::Mp4)
        );
        let mut qt = 20u32.to_be_bytes().to_vec();
        qt.extend_from_slice(b"ftypqt  ");
        assert_eq!(
            sniff(&qt, false),
            Sniff::Container(ContainerKind::QuickTime)
        );
        let mut m4v = 20u32.to_be_bytes().to_vec();
        m4v.extend_from_slice(b"ftypM4V ");
        assert_eq!(sniff(&m4v, false), Sniff::Container(ContainerKind::M4v));
        let mut avi = b"RIFF".to_vec();
        avi.extend_from_slice(&100u32.to_le_bytes());
        avi.extend_from_slice(b"AVI LIST");
        assert_eq!(sniff(&avi, false), Sniff::Container(ContainerKind::Avi));
        let webm = [
            0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, b'w', b'e',
            b'b', b'm',
        ];
        assert_eq!(sniff(&webm, false), Sniff::Container(ContainerKind::WebM));
        let mkv = [
            0x1A, 0x45, 0xDF, 0xA3, 0xA3, 0x42, 0x82, 0x88, b'm', b'a', b't', b'r', b'o', b's',
            b'k', b'a',
        ];
        assert_eq!(
            sniff(&mkv, false),
            Sniff::Container(ContainerKind::Matroska)
        );
    }

    #[test]
    fn refuses_non_videos_with_a_description() {
        let Sniff::Unsupported(why) = sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj", false) else {
            panic!("PDF accepted");
        };
        assert!(why.contains("PDF"), "{why}");
        assert!(matches!(sniff(b"", true), Sniff::Unsupported(why) if why.contains("empty")));
        assert_eq!(sniff(b"\x00\x00", false), Sniff::NeedMoreBytes);
        assert!(matches!(
            sniff(b"hello world, plain text", false),
            Sniff::Unsupported(_)
        ));
        let mut wav = b"RIFF".to_vec();
        wav.extend_from_slice(&[0, 0, 0, 0]);
        wav.extend_from_slice(b"WAVE");
        assert!(matches!(sniff(&wav, false), Sniff::Unsupported(why) if why.contains("WAVE")));
    }

    #[test]
    fn complete_mp4_passes_whatever_the_chunking() {
        let file = minimal_mp4();
        for chunk in [1, 3, 7, 16, 1 << 20] {
            assert_eq!(
                check_in_chunks(ContainerKind::Mp4, &file, chunk),
                Ok(()),
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn truncated_mp4_is_detected() {
        let file = minimal_mp4();
        for cut in [10, 20, 30, file.len() - 1] {
            let verdict = check_in_chunks(ContainerKind::Mp4, &file[..cut], 5);
            assert!(verdict.is_err(), "cut at {cut} accepted");
        }
        let verdict =
            check_in_chunks(ContainerKind::Mp4, &file[..file.len() - 10], 64).unwrap_err();
        assert!(verdict.contains("truncated"), "{verdict}");
    }

    #[test]
    fn mp4_without_moov_is_incomplete() {
        let mut file = minimal_mp4()[..16].to_vec();
        file.extend(mp4_box(b"mdat", 10));
        let verdict = check_in_chunks(ContainerKind::Mp4, &file, 4).unwrap_err();
        assert!(verdict.contains("moov"), "{verdict}");
    }

    #[test]
    fn large_size_and_to_end_boxes() {
        let mut file = minimal_mp4()[..16].to_vec();
        file.extend(mp4_box(b"moov", 8));
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&(16u64 + 4).to_be_bytes());
        file.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(check_in_chunks(ContainerKind::Mp4, &file, 3), Ok(()));
        let mut open = minimal_mp4()[..16].to_vec();
        open.extend(mp4_box(b"moov", 8));
        open.extend_from_slice(&0u32.to_be_bytes());
        open.extend_from_slice(b"mdat");
        open.extend_from_slice(&[9; 33]);
        assert_eq!(check_in_chunks(ContainerKind::Mp4, &open, 2), Ok(()));
    }

    #[test]
    fn riff_size_is_checked() {
        let mut avi = b"RIFF".to_vec();
        avi.extend_from_slice(&20u32.to_le_bytes());
        avi.extend_from_slice(b"AVI ");
        avi.extend_from_slice(&[0; 16]);
        assert_eq!(check_in_chunks(ContainerKind::Avi, &avi, 3), Ok(()));
        assert!(check_in_chunks(ContainerKind::Avi, &avi[..avi.len() - 1], 3).is_err());
    }

    #[test]
    fn streamed_matroska_with_an_eight_byte_unknown_size_passes() {
        // What `ffmpeg -f matroska pipe:` and browsers' MediaRecorder write: the
        // Segment's size unknown, in 8 bytes (0x01 then seven 0xFF). This panicked
        // (a u8 shifted by 8) and took the upload down with it.
        let mut file = vec![0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x82, 0x81, b'x'];
        file.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01]);
        file.extend_from_slice(&[0xFF; 7]);
        file.extend(std::iter::repeat_n(0u8, 64));
        let mut check = ContainerCheck::new(ContainerKind::Matroska);
        check.update(&file);
        assert_eq!(check.finish(), Ok(()));
        // An 8-byte known size is read whole.
        assert_eq!(
            read_vint(&[0x01, 0, 0, 0, 0, 0, 0x01, 0x00], VintKind::Size),
            Some((Some(256), 8))
        );
    }

    #[test]
    fn ebml_segment_sizes_are_checked() {
        // EBML header element (id 1A45DFA3, size 4) then Segment (18538067) of 5 bytes.
        let mut mkv = vec![0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x82, 0x81, b'x'];
        mkv.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x85, 1, 2, 3, 4, 5]);
        assert_eq!(check_in_chunks(ContainerKind::Matroska, &mkv, 2), Ok(()));
        assert!(check_in_chunks(ContainerKind::Matroska, &mkv[..mkv.len() - 2], 2).is_err());
        // Unknown-size segment (live recordings) runs to the end.
        let mut live = mkv[..9].to_vec();
        live.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0xFF, 7, 7, 7]);
        assert_eq!(check_in_chunks(ContainerKind::WebM, &live, 1), Ok(()));
    }
}

/// Byte-mutation fuzzing of the container parsers that read what a client uploads:
/// the heads and bodies of real videos (the shared clips when present, else built
/// ones) with bytes flipped, cut, inserted and duplicated, fed in random chunk sizes.
/// `PROPTEST_CASES` sets how long it runs (README: the long run and its figures).
#[cfg(test)]
mod fuzz {
    use fitvision_byte_mutations::{mutated, mutations};
    use proptest::prelude::*;

    use super::*;

    /// Real files' first 64 KiB: the shared clips (mp4/mov) when they are there.
    fn seeds() -> Vec<Vec<u8>> {
        let mut seeds = Vec::new();
        let dir = std::env::var_os("FITVISION_SHARED_VIDEOS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/videos")
            });
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut paths: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "mp4" || e == "mov"))
                .collect();
            paths.sort();
            for path in paths.into_iter().take(8) {
                if let Ok(bytes) = std::fs::read(&path) {
                    seeds.push(bytes[..bytes.len().min(64 << 10)].to_vec());
                }
            }
        }
        // Built heads of every kind, so the run never depends on the clips alone.
        let mut mp4 = 16u32.to_be_bytes().to_vec();
        mp4.extend_from_slice(b"ftypisom\0\0\0\0");
        mp4.extend_from_slice(&24u32.to_be_bytes());
        mp4.extend_from_slice(b"moov");
        mp4.extend(std::iter::repeat_n(0u8, 16));
        seeds.push(mp4);
        let mut webm = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84];
        webm.extend_from_slice(b"webm");
        webm.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01, 0, 0, 0, 0, 0, 0, 0x10]);
        webm.extend(std::iter::repeat_n(0u8, 16));
        seeds.push(webm);
        // Streamed (live) Matroska: the Segment's size unknown, in 8 bytes.
        let mut streamed = vec![0x1A, 0x45, 0xDF, 0xA3, 0x88, 0x42, 0x82, 0x85];
        streamed.extend_from_slice(b"webm\0");
        streamed.extend_from_slice(&[
            0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        streamed.extend_from_slice(&[
            0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        streamed.extend(std::iter::repeat_n(0u8, 32));
        seeds.push(streamed);
        let mut avi = b"RIFF\x40\0\0\0AVI LIST".to_vec();
        avi.extend(std::iter::repeat_n(0u8, 52));
        seeds.push(avi);
        seeds
    }

    fn check(kind: ContainerKind, bytes: &[u8], chunks: &[usize]) -> Result<(), String> {
        let mut check = ContainerCheck::new(kind);
        let mut rest = bytes;
        for &size in chunks.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at(size.clamp(1, rest.len()));
            check.update(chunk);
            rest = tail;
        }
        check.finish()
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn mutated_uploads_never_panic_and_chunking_never_changes_the_verdict(
            seed in any::<prop::sample::Index>(),
            edits in mutations(6),
            chunks in prop::collection::vec(1usize..4096, 1..8),
        ) {
            let seeds = seeds();
            let bytes = mutated(&seeds[seed.index(seeds.len())], &edits);
            // The sniffer on every prefix a stream could have delivered.
            for len in [0, 1, 4, 8, 12, SNIFF_LEN, bytes.len()] {
                let head = &bytes[..len.min(bytes.len())];
                let at_end = head.len() == bytes.len();
                let verdict = sniff(head, at_end);
                prop_assert!(!(at_end && verdict == Sniff::NeedMoreBytes), "{verdict:?}");
            }
            if let Sniff::Container(kind) = sniff(&bytes, true) {
                // The same bytes in other chunks: the same verdict.
                let whole = check(kind, &bytes, &[bytes.len().max(1)]);
                let chunked = check(kind, &bytes, &chunks);
                prop_assert_eq!(whole, chunked);
            }
        }
    }
}
