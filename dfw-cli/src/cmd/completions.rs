//! `dfw-cli completions SHELL`: prints the shell completion script, generated from the same
//! clap definitions that parse the arguments (so it cannot fall out of step with them).

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

/// `completions` options.
#[derive(Debug, clap::Args)]
#[command(after_help = format!("Examples:\n  \
    dfw-cli completions bash > /usr/share/bash-completion/completions/dfw-cli\n  \
    dfw-cli completions zsh > /usr/share/zsh/vendor-completions/_dfw-cli\n  \
    dfw-cli completions fish > /usr/share/fish/vendor_completions.d/dfw-cli.fish\n\n{}",
    crate::exit::PLAIN))]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

/// Runs `completions`: the script on standard output.
pub fn run(a: Args) -> ExitCode {
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut crate::Cli::command(), "dfw-cli", &mut out);
    crate::out::stdout_bytes(&out);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each shell's script offers every subcommand and the global `--netns`.
    #[test]
    fn completions_offer_every_subcommand() {
        let cmd = crate::Cli::command();
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), "dfw-cli", &mut out);
            let text = String::from_utf8(out).unwrap();
            for sub in cmd.get_subcommands() {
                let name = sub.get_name();
                let offered = text.contains(&format!(" {name} "))
                    || text.contains(&format!("'{name}:"))
                    || text.contains(&format!(" -a \"{name}\""));
                assert!(offered, "{shell}: {name}");
            }
            assert!(text.contains("netns"), "{shell}");
        }
    }
}
