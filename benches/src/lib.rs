//! Shared pieces of Recon's benchmark binaries (`src/bin/`): timing
//! (`timing`), the machine's ceilings (`ceilings`: memory bandwidth, FMA peak,
//! numpy's GEMM), output as Markdown and JSON (`report`), the roofline plot
//! (`roofline`), and the PyTorch side of the whole-model benchmarks (`torch`).
//!
//! See `benches/README.md` for what each binary measures and how to read it.

pub mod ceilings;
pub mod report;
pub mod roofline;
pub mod rounds;
pub mod timing;
pub mod torch;

use rand::rngs::StdRng;
use rand::SeedableRng;
use recon_nn::Kind;
use recon_tensor::{Cpu32, Tensor};

/// The bundled MNIST images (10,000 digits), for conv-ae.
pub const MNIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist-10k-images-idx3-ubyte.gz");

/// Presets named on the command line (comma-separated), or all six.
pub fn models_arg(arg: Option<&str>) -> Vec<Kind> {
    match arg {
        None | Some("") | Some("all") => vec![Kind::Ae, Kind::SparseAe, Kind::DeepAe, Kind::DenoisingAe, Kind::Vae, Kind::ConvAe],
        Some(list) => list
            .split(',')
            .map(|n| {
                Kind::parse(n.trim()).unwrap_or_else(|| {
                    eprintln!("unknown model '{n}'; the presets are ae, sparse-ae, deep-ae, denoising-ae, vae, conv-ae");
                    std::process::exit(2)
                })
            })
            .collect(),
    }
}

/// The dense models' data: 16,000 rows of 29 features (the credit-card
/// table's width) near a 3-D subspace, plus noise. Seeded: the same every run.
pub fn table(cpu: &Cpu32) -> Tensor<Cpu32> {
    let mut rng = StdRng::seed_from_u64(0);
    let codes = Tensor::rand_normal(cpu, &[16000, 3], 0.0, 1.0, &mut rng).unwrap();
    let mix = Tensor::rand_normal(cpu, &[3, 29], 0.0, 0.6, &mut rng).unwrap();
    let noise = Tensor::rand_normal(cpu, &[16000, 29], 0.0, 0.05, &mut rng).unwrap();
    codes.matmul(&mix).unwrap().add(&noise).unwrap()
}

/// The bundled MNIST digits as `[10000, 784]` rows in [0, 1].
pub fn mnist_images(cpu: &Cpu32) -> Tensor<Cpu32> {
    let mnist = recon_data::load_mnist(MNIST).expect("the bundled MNIST images");
    let all: Vec<usize> = (0..mnist.n_rows).collect();
    mnist.to_matrix(cpu, &all).unwrap()
}
