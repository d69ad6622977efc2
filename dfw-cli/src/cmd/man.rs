//! `dfw-cli man DIR`: writes the manual pages, generated from the clap definitions, into DIR:
//! `dfw-cli.8` and one `dfw-cli-SUBCOMMAND.8` per subcommand (section 8: most commands need
//! root). The Debian package's build (`dist/deb/build`) runs it, and so can whoever installed
//! dfw-cli with `cargo install`. The pages carry no date: one binary always writes the same
//! bytes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_mangen::Man;

/// The manual section of every page.
const SECTION: &str = "8";

/// `man` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    /// The directory to write the pages into (it must exist), e.g. /usr/local/share/man/man8.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Runs `man`: one line per page written.
pub fn run(a: Args) -> ExitCode {
    let mut cmd = crate::Cli::command().disable_help_subcommand(true);
    cmd.build();
    match write_pages(&cmd, &a.dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err((path, e)) => {
            crate::errln!("dfw-cli man: {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// Writes the page of `cmd` and of each visible subcommand (recursively) into `dir`.
fn write_pages(cmd: &clap::Command, dir: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    let man = Man::new(cmd.clone())
        .section(SECTION)
        .manual("dfw manual")
        .source("dfw")
        // The footer's date: the version instead of a day, so that the same code always makes
        // the same page (and an empty date would shift the fields: roff drops empty words).
        .date(concat!("version ", env!("CARGO_PKG_VERSION")));
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page).map_err(|e| (path.clone(), e))?;
    std::fs::write(&path, page).map_err(|e| (path.clone(), e))?;
    crate::outln!("{}", path.display());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One page per command, each a man page of section 8 naming its command.
    #[test]
    fn man_writes_one_page_per_command() {
        let dir = std::env::temp_dir().join(format!("dfw-cli-man-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = crate::Cli::command().disable_help_subcommand(true);
        cmd.build();
        write_pages(&cmd, &dir).unwrap();
        let mut names = vec!["dfw-cli".to_owned()];
        names.extend(
            cmd.get_subcommands()
                .map(|s| format!("dfw-cli-{}", s.get_name())),
        );
        for name in &names {
            let page = std::fs::read_to_string(dir.join(format!("{name}.8"))).unwrap();
            let title = format!(
                "\n.TH {name} 8 \"version {}\" dfw \"dfw manual\"\n",
                env!("CARGO_PKG_VERSION")
            );
            assert!(page.contains(&title), "{name}: {page}");
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), names.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
