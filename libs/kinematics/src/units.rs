//! US customary units by their exact SI definitions (international yard and pound,
//! 1959), the one place the suite's imperial conversions come from.

/// Metres in a foot.
pub const M_PER_FT: f64 = 0.3048;
/// Centimetres in an inch.
pub const CM_PER_IN: f64 = 2.54;
/// Millimetres in an inch.
pub const MM_PER_IN: f64 = 25.4;
/// Kilograms in a pound (avoirdupois).
pub const KG_PER_LB: f64 = 0.453_592_37;
/// Newtons in a pound-force (a pound under standard gravity, 9.806 65 m/s^2).
pub const N_PER_LBF: f64 = KG_PER_LB * 9.806_65;

pub const FT_PER_M: f64 = 1.0 / M_PER_FT;
pub const IN_PER_CM: f64 = 1.0 / CM_PER_IN;
pub const LB_PER_KG: f64 = 1.0 / KG_PER_LB;
pub const LBF_PER_N: f64 = 1.0 / N_PER_LBF;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_match_their_published_values() {
        assert!((LB_PER_KG - 2.204_622_621_8).abs() < 1e-9);
        assert!((FT_PER_M - 3.280_839_895).abs() < 1e-9);
        assert!((N_PER_LBF - 4.448_221_615_260_5).abs() < 1e-12);
        assert!((LBF_PER_N - 0.224_808_943_1).abs() < 1e-9);
    }
}
