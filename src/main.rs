use clap::Parser;

fn main() {
    let cli = confaudit::cli::Cli::parse();
    std::process::exit(confaudit::app::run(cli));
}
