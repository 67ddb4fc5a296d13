use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = turnout::cli::Cli::parse();
    match turnout::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
