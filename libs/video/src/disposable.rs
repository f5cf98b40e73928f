//! Which H.264 packets no other picture is predicted from.
//!
//! A picture whose slices all carry `nal_ref_idc = 0` (the non-reference B pictures an
//! encoder such as x264 puts between its references) is never used to predict another:
//! leaving its packet out changes no other decoded picture, bit for bit (H.264 8.2.5:
//! only reference pictures are marked and kept for prediction; FFmpeg's own
//! `skip_frame=noref` discards the same pictures). Frames a sampler will not look at can
//! then be left undecoded instead of decoded and thrown away.
//!
//! The parser is deliberately narrow: a packet counts as disposable only when every NAL
//! unit in it parses and at least one is a slice, all slices non-reference. Anything
//! else (an IDR, a truncated length, a codec this does not know) is decoded as before.

/// How NAL units are delimited in a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NalFraming {
    /// Each unit behind a big-endian length of this many bytes (MP4, MKV: `avcC`).
    LengthPrefixed(usize),
    /// Units behind `00 00 01` / `00 00 00 01` start codes (raw `.h264`, MPEG-TS).
    AnnexB,
}

impl NalFraming {
    /// The framing of H.264 packets whose codec extradata is `extradata`: an `avcC`
    /// record (version byte 1) gives the length size; anything else is Annex B.
    pub fn from_h264_extradata(extradata: &[u8]) -> Option<Self> {
        match extradata {
            [1, _, _, _, size_byte, ..] => {
                let length = usize::from(size_byte & 0b11) + 1;
                // 3 is not a legal length size (1, 2 or 4).
                (length != 3).then_some(Self::LengthPrefixed(length))
            }
            _ => Some(Self::AnnexB),
        }
    }
}

/// NAL unit types of coded slices (non-IDR, partition A, IDR).
const SLICE: u8 = 1;
const SLICE_PARTITION_A: u8 = 2;
const IDR_SLICE: u8 = 5;

/// Whether the H.264 packet `data` holds one picture no other picture refers to.
pub fn is_disposable_h264(data: &[u8], framing: NalFraming) -> bool {
    let mut any_slice = false;
    let mut verdict = true;
    let mut visit = |header: u8| {
        let forbidden = header & 0x80 != 0;
        let ref_idc = (header >> 5) & 0b11;
        let kind = header & 0x1f;
        if forbidden {
            verdict = false;
            return;
        }
        match kind {
            IDR_SLICE => verdict = false,
            SLICE | SLICE_PARTITION_A => {
                any_slice = true;
                if ref_idc != 0 {
                    verdict = false;
                }
            }
            _ => {}
        }
    };
    let parsed = match framing {
        NalFraming::LengthPrefixed(length_size) => {
            each_length_prefixed_header(data, length_size, &mut visit)
        }
        NalFraming::AnnexB => each_annex_b_header(data, &mut visit),
    };
    parsed && any_slice && verdict
}

/// Calls `visit` with the first byte of each unit; false when a length runs past the end.
fn each_length_prefixed_header(data: &[u8], length_size: usize, visit: &mut dyn FnMut(u8)) -> bool {
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() < length_size {
            return false;
        }
        let (length_bytes, tail) = rest.split_at(length_size);
        let length = length_bytes
            .iter()
            .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte));
        if length == 0 || length > tail.len() {
            return false;
        }
        visit(tail[0]);
        rest = &tail[length..];
    }
    true
}

/// Calls `visit` with the first byte after each start code; false when there is none.
fn each_annex_b_header(data: &[u8], visit: &mut dyn FnMut(u8)) -> bool {
    let mut found = false;
    let mut i = 0;
    while i + 3 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            visit(data[i + 3]);
            found = true;
            i += 3;
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NAL header byte.
    fn header(ref_idc: u8, kind: u8) -> u8 {
        (ref_idc << 5) | kind
    }

    fn length_prefixed(units: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for unit in units {
            out.extend_from_slice(&(unit.len() as u32).to_be_bytes());
            out.extend_from_slice(unit);
        }
        out
    }

    #[test]
    fn a_non_reference_slice_is_disposable_and_a_reference_one_is_not() {
        let framing = NalFraming::LengthPrefixed(4);
        let b = length_prefixed(&[&[header(0, SLICE), 0x9a, 0x10]]);
        assert!(is_disposable_h264(&b, framing));
        let p = length_prefixed(&[&[header(2, SLICE), 0x9a, 0x10]]);
        assert!(!is_disposable_h264(&p, framing));
        let idr = length_prefixed(&[&[header(3, IDR_SLICE), 0x88]]);
        assert!(!is_disposable_h264(&idr, framing));
    }

    #[test]
    fn every_slice_of_the_picture_must_be_non_reference() {
        let framing = NalFraming::LengthPrefixed(4);
        // An SEI (type 6, ref_idc 0) before two slices, one of them a reference.
        let mixed = length_prefixed(&[
            &[header(0, 6), 5, 1],
            &[header(0, SLICE), 1],
            &[header(2, SLICE), 1],
        ]);
        assert!(!is_disposable_h264(&mixed, framing));
        let both = length_prefixed(&[
            &[header(0, 6), 5, 1],
            &[header(0, SLICE), 1],
            &[header(0, SLICE), 1],
        ]);
        assert!(is_disposable_h264(&both, framing));
        // No slice at all (a lone SEI) is not a picture to leave out.
        let sei = length_prefixed(&[&[header(0, 6), 5, 1]]);
        assert!(!is_disposable_h264(&sei, framing));
    }

    #[test]
    fn a_packet_that_does_not_parse_is_kept() {
        let framing = NalFraming::LengthPrefixed(4);
        let mut cut = length_prefixed(&[&[header(0, SLICE), 0x9a, 0x10]]);
        cut.truncate(6);
        assert!(!is_disposable_h264(&cut, framing));
        assert!(!is_disposable_h264(&[], framing));
        assert!(!is_disposable_h264(&[0, 0, 0, 0], framing));
        let forbidden = length_prefixed(&[&[0x80 | header(0, SLICE), 1]]);
        assert!(!is_disposable_h264(&forbidden, framing));
    }

    #[test]
    fn two_byte_lengths_and_start_codes_are_read() {
        let two = [0u8, 2, header(0, SLICE), 7, 0, 2, header(0, SLICE), 9];
        assert!(is_disposable_h264(&two, NalFraming::LengthPrefixed(2)));
        let annex_b = [
            0,
            0,
            0,
            1,
            header(0, 9),
            0x10,
            0,
            0,
            1,
            header(0, SLICE),
            0x9a,
        ];
        assert!(is_disposable_h264(&annex_b, NalFraming::AnnexB));
        let annex_b_ref = [0, 0, 1, header(1, SLICE), 0x9a, 0x20];
        assert!(!is_disposable_h264(&annex_b_ref, NalFraming::AnnexB));
        assert!(!is_disposable_h264(&[1, 2, 3, 4, 5], NalFraming::AnnexB));
    }

    #[test]
    fn the_framing_comes_from_the_avcc_record() {
        assert_eq!(
            NalFraming::from_h264_extradata(&[1, 0x64, 0, 0x1f, 0xff, 0xe1]),
            Some(NalFraming::LengthPrefixed(4))
        );
        assert_eq!(
            NalFraming::from_h264_extradata(&[1, 0x64, 0, 0x1f, 0xfd]),
            Some(NalFraming::LengthPrefixed(2))
        );
        assert_eq!(
            NalFraming::from_h264_extradata(&[1, 0x64, 0, 0x1f, 0xfe]),
            None
        );
        assert_eq!(
            NalFraming::from_h264_extradata(&[0, 0, 0, 1, 0x67]),
            Some(NalFraming::AnnexB)
        );
        assert_eq!(
            NalFraming::from_h264_extradata(&[]),
            Some(NalFraming::AnnexB)
        );
    }
}
