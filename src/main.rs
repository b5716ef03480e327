use std::process::ExitCode;

fn main() -> ExitCode {
    match pledge_registry::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
