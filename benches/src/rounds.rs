//! One benchmark row measured against PyTorch in rounds: each round times
//! every row in Recon and then in PyTorch, and a row's speed-up is the median
//! of its rounds' ratios.
//!
//! Why rounds: this is a shared machine, and the same binary has read 45%
//! slower for minutes at a time. Measured once, Recon's side could fall in
//! such a spell and PyTorch's outside it, or the other way round, and the
//! ratio moved with it (a VAE step read 18.6x and 24.4x in two runs a minute
//! apart). Within a round the two sides run a minute or two apart, so a
//! spell tends to slow both or neither; the median over rounds drops a round
//! where it did not, and the range of the rounds' ratios shows how far they
//! spread.

use crate::report::{stats_json, Json};
use crate::timing::{Config, Stats};

/// The median of `v` (the mean of the middle two for an even count); `None`
/// for no values.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| (v[(n - 1) / 2] + v[n / 2]) / 2.0)
}

/// A row's measurements, one per round on each side.
#[derive(Default)]
pub struct Paired {
    pub recon: Vec<Stats>,
    /// `None` for a round where PyTorch did not run.
    pub torch: Vec<Option<Stats>>,
}

impl Paired {
    /// Recon's time per call: the median over rounds of each round's median.
    pub fn recon_s(&self) -> f64 {
        median(self.recon.iter().map(|s| s.median).collect()).unwrap_or(f64::NAN)
    }
    /// PyTorch's, the same way.
    pub fn torch_s(&self) -> Option<f64> {
        median(self.torch.iter().flatten().map(|s| s.median).collect())
    }
    /// PyTorch's time over Recon's in each round that has both.
    pub fn ratios(&self) -> Vec<f64> {
        self.recon.iter().zip(&self.torch).filter_map(|(r, t)| t.as_ref().map(|t| t.median / r.median)).collect()
    }
    /// The median of the rounds' ratios.
    pub fn speedup(&self) -> Option<f64> {
        median(self.ratios())
    }
    /// The smallest and largest of the rounds' ratios, as `12.3-14.5x`.
    pub fn range(&self) -> Option<String> {
        let r = self.ratios();
        let lo = r.iter().copied().reduce(f64::min)?;
        let hi = r.iter().copied().reduce(f64::max)?;
        Some(format!("{lo:.1}-{hi:.1}x"))
    }
    /// ` *` after a time where a round of that side ran while other
    /// processes were busy (`Stats::disturbed`), else nothing.
    pub fn marks(&self, cfg: &Config) -> (&'static str, &'static str) {
        let mark = |d: bool| if d { " *" } else { "" };
        (mark(self.recon.iter().any(|s| s.disturbed(cfg))), mark(self.torch.iter().flatten().any(|s| s.disturbed(cfg))))
    }
    /// The JSON fields of the row's measurements: every round of both sides,
    /// the speed-up and the rounds' ratios.
    pub fn json(&self) -> Vec<(&'static str, Json)> {
        vec![
            ("recon_rounds", Json::Arr(self.recon.iter().map(stats_json).collect())),
            ("torch_rounds", Json::Arr(self.torch.iter().map(|t| t.as_ref().map_or(Json::Null, stats_json)).collect())),
            ("recon_s", Json::num(self.recon_s())),
            ("torch_s", Json::opt(self.torch_s())),
            ("speedup", Json::opt(self.speedup())),
            ("speedup_rounds", Json::Arr(self.ratios().into_iter().map(Json::num).collect())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(median: f64) -> Stats {
        Stats {
            median,
            min: median,
            max: median,
            q1: median,
            q3: median,
            samples: 1,
            iters: 1,
            total: median,
            others_busy: None,
            cpu_wait: None,
        }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    /// The speed-up pairs each round's two times: a round where Recon alone
    /// ran slow moves the median of the ratios less than the ratio of the
    /// medians would move.
    #[test]
    fn speedup_is_the_median_of_the_rounds_ratios() {
        let p = Paired { recon: vec![stats(1.0), stats(2.0), stats(1.0)], torch: vec![Some(stats(20.0)), Some(stats(40.0)), None] };
        assert_eq!(p.ratios(), vec![20.0, 20.0]);
        assert_eq!(p.speedup(), Some(20.0));
        assert_eq!(p.recon_s(), 1.0);
        assert_eq!(p.torch_s(), Some(30.0));
        assert_eq!(p.range().as_deref(), Some("20.0-20.0x"));
        let none = Paired { recon: vec![stats(1.0)], torch: vec![None] };
        assert_eq!((none.speedup(), none.range()), (None, None));
    }
}
