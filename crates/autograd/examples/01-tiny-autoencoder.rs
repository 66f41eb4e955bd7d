//! From a tensor to a trained autoencoder with nothing but the tape.
//!
//! The data are 512 points in 8 dimensions that lie near a 2-D plane; an
//! autoencoder `8 -> 3 (tanh) -> 8` learns to squeeze them through 3 numbers
//! and back. Plain gradient descent: `w <- w - lr * dL/dw`.
//!
//! A fresh tape per step is the simplest loop to read. The engine's own
//! (`recon_nn::train::fit`) keeps one tape and one `Grads` for the whole
//! run: `tape.reset()` at the top of each step, `tape.backward_into(&loss,
//! &mut grads)` instead of `backward`, so that after the first step the
//! tape's memory is reused and a step asks the allocator for nothing.
//!
//! Run: `cargo run --release -p recon-autograd --example 01-tiny-autoencoder`

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_autograd::{loss::mse, Tape};
use recon_tensor::{Cpu32, Result, Tensor};

fn main() -> Result<()> {
    let cpu = Cpu32::new();
    let mut rng = StdRng::seed_from_u64(42);

    // x = codes (512 x 2) times a fixed mixing matrix (2 x 8), plus a little noise.
    let codes = Tensor::rand_normal(&cpu, &[512, 2], 0.0, 1.0, &mut rng)?;
    let mixing = Tensor::rand_normal(&cpu, &[2, 8], 0.0, 1.0, &mut rng)?;
    let noise = Tensor::rand_normal(&cpu, &[512, 8], 0.0, 0.05, &mut rng)?;
    let x = codes.matmul(&mixing)?.add(&noise)?;

    // Weights, Glorot-uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).
    let glorot = |i: usize, o: usize, rng: &mut StdRng| {
        let a = (6.0 / (i + o) as f64).sqrt();
        Tensor::rand_uniform(&cpu, &[i, o], -a, a, rng)
    };
    let mut params = [glorot(8, 3, &mut rng)?, Tensor::zeros(&cpu, &[3])?, glorot(3, 8, &mut rng)?, Tensor::zeros(&cpu, &[8])?];

    let lr = 0.1;
    for epoch in 0..=300 {
        // One forward pass on a fresh tape, recording every op.
        let tape = Tape::new();
        let p: Vec<_> = params.iter().map(|t| tape.param(t)).collect();
        let input = tape.constant(&x);
        let code = input.matmul(&p[0])?.add(&p[1])?.tanh()?;
        let recon = code.matmul(&p[2])?.add(&p[3])?;
        let loss = mse(&recon, &input)?;

        // The backward pass gives dL/dw for every parameter; step downhill.
        let grads = tape.backward(&loss)?;
        for (w, v) in params.iter_mut().zip(&p) {
            let g = grads.get(v).expect("every parameter is used");
            *w = w.sub(&g.mul_scalar(lr)?)?;
        }
        if epoch % 30 == 0 {
            println!("epoch {epoch:3}  reconstruction MSE {:.5}", loss.value().item()?);
        }
    }
    Ok(())
}
