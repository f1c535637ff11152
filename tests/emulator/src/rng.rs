//! Small non-cryptographic randomness: request IDs and the `p` padding of stream events.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// SplitMix64: plenty for IDs and padding lengths, and needs no dependency.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator seeded from the clock and a process-wide counter.
    pub fn new() -> Rng {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        Rng((nanos as u64) ^ count.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next_u64() % (high - low + 1) as u64) as usize
    }
}

/// A request ID in UUID form, like `x-amzn-RequestId`.
pub(crate) fn request_id() -> String {
    let mut rng = Rng::new();
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

const PADDING_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A `p` padding value: a prefix of the alphabet of random length, as Bedrock sends.
pub(crate) fn padding(rng: &mut Rng) -> &'static str {
    &PADDING_ALPHABET[..rng.between(1, PADDING_ALPHABET.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids_and_differ() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }

    #[test]
    fn padding_is_an_alphabet_prefix() {
        let mut rng = Rng::new();
        for _ in 0..50 {
            let p = padding(&mut rng);
            assert!(!p.is_empty() && PADDING_ALPHABET.starts_with(p));
        }
    }
}
