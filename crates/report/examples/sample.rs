//! Writes a report from synthetic data, to look at the layout:
//!
//! ```text
//! cargo run -p recon-report --example sample -- [DIR] [--plain | --denoising]
//! ```
//!
//! `DIR` defaults to `target/report-sample`; `--plain` leaves out the images,
//! `--denoising` adds the noisy row of a denoising model.

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.iter().find(|a| !a.starts_with("--")).map_or("target/report-sample", String::as_str);
    let images = !args.iter().any(|a| a == "--plain");
    let denoising = args.iter().any(|a| a == "--denoising");
    let data = recon_report::sample::synthetic(7, images, denoising);
    let path = recon_report::write_report(std::path::Path::new(dir), &data)?;
    println!("{}", path.display());
    Ok(())
}
