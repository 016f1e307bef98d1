use clap::Parser;

fn main() {
    confaudit::util::map_large_buffers_apart();
    let cli = confaudit::cli::Cli::parse();
    std::process::exit(confaudit::app::run(cli));
}
