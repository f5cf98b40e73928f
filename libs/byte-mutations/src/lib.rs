//! Byte mutations of valid inputs, as proptest strategies: the fuzzing the project's
//! internet-facing parsers run under (container sniffing and checks, multipart
//! uploads, JWTs). A valid input with a few of these applied reaches deep into a
//! parser, where random bytes would be refused at the first check. `PROPTEST_CASES`
//! sets the length of a run.

use proptest::prelude::*;

/// One edit of a byte string. Positions are taken modulo the current length, so a
/// mutation applies to any input.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// XOR one byte.
    Flip { at: usize, xor: u8 },
    /// Truncate.
    Cut { at: usize },
    /// Insert bytes.
    Insert { at: usize, bytes: Vec<u8> },
    /// Duplicate a run in place.
    Repeat { at: usize, len: usize },
    /// Overwrite four bytes with a big-endian number (sizes are where parsers trust
    /// the file most).
    Size { at: usize, value: u32 },
}

/// Any mutation; inserted bytes favour the delimiters of text protocols.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    let delimiter_or_any = prop_oneof![
        Just(b'\r'),
        Just(b'\n'),
        Just(b'-'),
        Just(b'"'),
        Just(b';'),
        Just(b'.'),
        Just(b'='),
        Just(0u8),
        any::<u8>()
    ];
    let size = prop_oneof![Just(0u32), Just(1), Just(7), Just(u32::MAX), any::<u32>()];
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (
            any::<usize>(),
            prop::collection::vec(delimiter_or_any, 1..16)
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Mutation::Repeat { at, len }),
        (any::<usize>(), size).prop_map(|(at, value)| Mutation::Size { at, value }),
    ]
}

/// A few mutations in a row.
pub fn mutations(max: usize) -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..max.max(2))
}

/// Applies `mutation` to `bytes`.
pub fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let n = bytes.len() + 1;
    match mutation {
        Mutation::Flip { at, xor } => {
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] ^= xor;
            }
        }
        Mutation::Cut { at } => bytes.truncate(at % n),
        Mutation::Insert { at, bytes: new } => {
            let at = at % n;
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Repeat { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            let copy = bytes[at.min(end)..end].to_vec();
            bytes.splice(at..at, copy);
        }
        Mutation::Size { at, value } => {
            if bytes.len() >= 4 {
                let at = at % (bytes.len() - 3);
                bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
            }
        }
    }
}

/// `input` with every mutation of `mutations` applied in order.
pub fn mutated(input: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for mutation in mutations {
        apply(&mut bytes, mutation);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_apply_at_any_position_of_any_input() {
        let input = b"abcdef".to_vec();
        assert_eq!(mutated(&input, &[Mutation::Cut { at: 9 }]), b"ab");
        assert_eq!(
            mutated(&input, &[Mutation::Flip { at: 7, xor: 0x20 }]),
            b"aBcdef"
        );
        assert_eq!(
            mutated(&input, &[Mutation::Repeat { at: 4, len: 5 }]),
            b"abcdefef"
        );
        assert_eq!(
            mutated(
                &input,
                &[Mutation::Size {
                    at: 2,
                    value: 0x41424344
                }]
            ),
            b"abABCD"
        );
        assert_eq!(
            mutated(
                &[],
                &[
                    Mutation::Flip { at: 3, xor: 1 },
                    Mutation::Size { at: 0, value: 0 }
                ]
            ),
            b""
        );
        assert_eq!(
            mutated(
                &[],
                &[Mutation::Insert {
                    at: 5,
                    bytes: vec![1]
                }]
            ),
            vec![1]
        );
    }
}
