//! Shared pieces of Recon's benchmark binaries (`src/bin/`): timing
//! (`timing`), the machine's ceilings (`ceilings`: memory bandwidth, FMA peak,
//! numpy's GEMM), and output as Markdown and JSON (`report`).
//!
//! See `benches/README.md` for what each binary measures and how to read it.

pub mod ceilings;
pub mod report;
pub mod timing;
