use clap::Parser;

fn main() {
    confaudit::timing::start();
    confaudit::util::map_large_buffers_apart();
    let cli = confaudit::cli::Cli::parse();
    let code = confaudit::app::run(cli);
    if let Some(table) = confaudit::timing::table() {
        eprint!("{table}");
    }
    std::process::exit(code);
}
