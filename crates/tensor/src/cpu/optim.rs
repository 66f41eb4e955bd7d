//! Fused optimizer updates: one pass over the parameter, its gradient and
//! its state, in place, instead of a dozen elementwise ops each allocating a
//! temporary. The formulas are on `backend::Update`; the composed default in
//! `backend.rs` computes the same numbers and is the reference in the tests.

use rayon::prelude::*;

use super::buffer::Buffer;
use super::parallel::{CHUNK, PAR_MIN_ELEMS};
use crate::backend::Update;
use crate::element::Element;

/// Runs `f(i)` for every element index, in fixed chunks across threads when large.
fn for_each<E: Element>(w: &mut [E], f: impl Fn(usize, &mut E) + Sync + Send) {
    if w.len() < PAR_MIN_ELEMS {
        w.iter_mut().enumerate().for_each(|(i, v)| f(i, v));
    } else {
        w.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| chunk.iter_mut().enumerate().for_each(|(i, v)| f(c * CHUNK + i, v)));
    }
}

/// The update, compiled for AVX-512 where the CPU has it. The loops below
/// are vectorised by the compiler; with AVX-512 they take 16 lanes at a
/// time instead of the baseline's 4, which matters for Adam's and RMSprop's
/// square root and division (Adam on the VAE's 6,200 parameters was an
/// eighth of its batch-32 step). Square roots and divisions are exact in
/// any width, so the results are the same bits.
pub fn update<E: Element>(rule: &Update, w: &mut Buffer<E>, g: &Buffer<E>, slots: &mut [&mut Buffer<E>]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { update_avx512(rule, w, g, slots) };
    }
    update_in_place(rule, w, g, slots)
}

/// `update_in_place` inlined into a function built for AVX-512.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn update_avx512<E: Element>(rule: &Update, w: &mut Buffer<E>, g: &Buffer<E>, slots: &mut [&mut Buffer<E>]) {
    update_in_place(rule, w, g, slots)
}

#[inline(always)]
fn update_in_place<E: Element>(rule: &Update, w: &mut Buffer<E>, g: &Buffer<E>, slots: &mut [&mut Buffer<E>]) {
    let c = E::from_f64;
    match *rule {
        Update::Sgd { lr } => {
            let lr = c(lr);
            for_each(w, |i, w| *w = *w - lr * g[i]);
        }
        Update::Momentum { lr, momentum } => {
            let (lr, mu) = (c(lr), c(momentum));
            let v = &mut *slots[0];
            w.iter_mut().zip(v.iter_mut()).zip(g.iter()).for_each(|((w, v), &g)| {
                *v = mu * *v - lr * g;
                *w += *v;
            });
        }
        Update::RmsProp { lr, rho, eps } => {
            let (lr, rho, one_rho, eps) = (c(lr), c(rho), c(1.0 - rho), c(eps));
            let s = &mut *slots[0];
            w.iter_mut().zip(s.iter_mut()).zip(g.iter()).for_each(|((w, s), &g)| {
                *s = rho * *s + one_rho * (g * g);
                *w = *w - lr * (g / (s.sqrt() + eps));
            });
        }
        Update::Adam { lr_t, beta1, beta2, eps } => {
            let (lr_t, b1, one_b1, b2, one_b2, eps) = (c(lr_t), c(beta1), c(1.0 - beta1), c(beta2), c(1.0 - beta2), c(eps));
            let (m, v) = slots.split_at_mut(1);
            let (m, v) = (&mut *m[0], &mut *v[0]);
            w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g.iter()).for_each(|(((w, m), v), &g)| {
                *m = b1 * *m + one_b1 * g;
                *v = b2 * *v + one_b2 * (g * g);
                *w = *w - lr_t * (*m / (v.sqrt() + eps));
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::composed_update;
    use crate::Cpu32;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn fused_updates_equal_the_composed_reference_bit_for_bit() {
        let mut rng = StdRng::seed_from_u64(5);
        let rules = [
            Update::Sgd { lr: 0.1 },
            Update::Momentum { lr: 0.05, momentum: 0.9 },
            Update::RmsProp { lr: 1e-3, rho: 0.9, eps: 1e-7 },
            Update::Adam { lr_t: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-7 },
        ];
        for len in [1, 7, 1000, 40_000] {
            let mut draw = || Buffer::from_vec((0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect());
            for rule in &rules {
                let (w, g, s0, s1) = (draw(), draw(), draw(), draw());
                let s0 = Buffer::from_vec(s0.iter().map(|v| v.abs()).collect()); // RMSprop/Adam second moments are >= 0
                let s1 = Buffer::from_vec(s1.iter().map(|v| v.abs()).collect());
                let (mut wa, mut a0, mut a1) = (Buffer::from_vec(w.to_vec()), Buffer::from_vec(s0.to_vec()), Buffer::from_vec(s1.to_vec()));
                let (mut wb, mut b0, mut b1) = (Buffer::from_vec(w.to_vec()), Buffer::from_vec(s0.to_vec()), Buffer::from_vec(s1.to_vec()));
                let n = rule.slots();
                update(rule, &mut wa, &g, &mut [&mut a0, &mut a1][..n]);
                composed_update(&Cpu32::new(), rule, &mut wb, &g, &mut [&mut b0, &mut b1][..n], len).unwrap();
                assert_eq!(wa.to_vec(), wb.to_vec(), "{rule:?} len {len}: weights");
                assert_eq!(a0.to_vec(), b0.to_vec(), "{rule:?} len {len}: first slot");
                assert_eq!(a1.to_vec(), b1.to_vec(), "{rule:?} len {len}: second slot");
            }
        }
    }
}
